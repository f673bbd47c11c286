using System.Net;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// Malformed and ambiguous input on the absolute-form HTTP path, and a seeded fuzz of request
/// heads: every case gets a clear 4xx or a closed connection, never a crash, never an upstream dial.
/// </summary>
public sealed class BadInputTests : IClassFixture<ProxyEnvironment>
{
    private readonly ProxyEnvironment _env;

    public BadInputTests(ProxyEnvironment env) => _env = env;

    private async Task<string> SendAsync(string request)
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync(request);
        var (head, _) = await raw.ReadHeadAsync();
        return head;
    }

    public static TheoryData<string, string> Ambiguous => new()
    {
        { "content-length and transfer-encoding", "POST http://good.test:{port}/echo-hash HTTP/1.1\r\nHost: good.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
        { "two different content-lengths", "POST http://good.test:{port}/echo-hash HTTP/1.1\r\nHost: good.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde" },
        { "duplicate host", "GET http://good.test:{port}/hello HTTP/1.1\r\nHost: good.test\r\nHost: other.test\r\n\r\n" },
        { "obs-fold", "GET http://good.test:{port}/hello HTTP/1.1\r\nHost: good.test\r\nX-A: 1\r\n continued\r\n\r\n" },
        { "bare LF", "GET http://good.test:{port}/hello HTTP/1.1\nHost: good.test\n\n" },
        { "header too large", "GET http://good.test:{port}/hello HTTP/1.1\r\nHost: good.test\r\nX-Big: " + new string('a', 40_000) + "\r\n\r\n" },
        { "userinfo", "GET http://user:secret@good.test:{port}/hello HTTP/1.1\r\nHost: good.test\r\n\r\n" },
        { "ftp scheme", "GET ftp://good.test:{port}/file HTTP/1.1\r\nHost: good.test\r\n\r\n" },
        { "asterisk", "OPTIONS * HTTP/1.1\r\nHost: good.test\r\n\r\n" },
        { "trace", "TRACE http://good.test:{port}/hello HTTP/1.1\r\nHost: good.test\r\nCookie: secret\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(Ambiguous))]
    public async Task Forward_AmbiguousOrMalformed_4xxAndNeverForwarded(string name, string request)
    {
        var before = _env.Good.Connections;
        var head = await SendAsync(request.Replace("{port}", _env.Good.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.True(head.Length == 0 || head.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"{name}: {head}");
        Assert.True(before == _env.Good.Connections, $"{name}: the upstream was dialled");
    }

    [Fact]
    public async Task Fuzz_MutatedHeads_AnsweredNeverDialledStillUp()
    {
        string[] corpus =
        [
            $"CONNECT bad.test:{_env.BadEcho.Port} HTTP/1.1\r\nHost: bad.test\r\n\r\n",
            "CONNECT c2.test:443 HTTP/1.1\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n\r\n",
            $"GET http://bad.test:{_env.Bad.Port}/hello HTTP/1.1\r\nHost: bad.test\r\n\r\n",
            $"POST http://mixed.test:{_env.Bad.Port}/echo-hash HTTP/1.1\r\nHost: mixed.test\r\nContent-Length: 3\r\n\r\nabc",
        ];
        var random = new Random(20261129);
        var deadline = DateTime.UtcNow.AddSeconds(40);
        var sent = 0;
        for (var i = 0; i < 2000 && DateTime.UtcNow < deadline; i++)
        {
            var bytes = Encoding.ASCII.GetBytes(corpus[random.Next(corpus.Length)]).ToList();
            var mutations = random.Next(1, 6);
            for (var m = 0; m < mutations && bytes.Count > 0; m++)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0: bytes[at] = (byte)random.Next(256); break;
                    case 1: bytes.RemoveAt(at); break;
                    case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                    default: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(8, bytes.Count - at))); break;
                }
            }

            using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
            try
            {
                await raw.SendAsync(bytes.ToArray());
                raw.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                await raw.ReadToEndAsync(TimeSpan.FromSeconds(5));
            }
            catch (System.Net.Sockets.SocketException)
            {
                // A reset is an acceptable answer to garbage.
            }

            sent++;
        }

        Assert.True(sent > 200, $"only {sent} heads sent in time");
        Assert.Equal(0, _env.Bad.Connections);
        Assert.Equal(0, _env.BadEcho.Connections);

        // Still up and still right.
        using var client = _env.Proxy.CreateClient();
        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"http://good.test:{_env.Good.Port}/hello"));
    }
}
