using System.Net;
using System.Net.Sockets;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>The lean HTTP/1.1 forwarder's own cases (Proxy:Forwarder=lean) against a raw TCP upstream that writes exact bytes.</summary>
public sealed class LeanForwarderTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly TestDnsServer _dns = new();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<string> _heads = [];
    private TestProxy _proxy = null!;
    private Func<NetworkStream, int, Task> _behaviour = (_, _) => Task.CompletedTask;
    private int _connections;

    private string Url(string path) => $"http://raw.test:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}";

    public async Task InitializeAsync()
    {
        _dns.A("raw.test", "127.0.0.1");
        _listener.Start();
        _ = AcceptLoopAsync();
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:Forwarder=lean", "--Proxy:UpstreamTimeout=00:00:05");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _listener.Stop();
        _dns.Dispose();
    }

    [Fact]
    public async Task Get_ChunkedResponseInPieces_DechunkedAndConnectionReused()
    {
        _behaviour = async (stream, _) =>
        {
            while (await ReadHeadAsync(stream) is not null)
            {
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n");
                await Task.Delay(20);
                await WriteAsync(stream, "6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
            }
        };
        using var client = _proxy.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("hello world", await client.GetStringAsync(Url("/c")).WaitAsync(Bound));
        }

        Assert.Equal(1, Volatile.Read(ref _connections));
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/c");
        Assert.Equal(11, line.GetProperty("egressguard.bytes_down").GetInt64());
    }

    [Fact]
    public async Task Post_ChunkedRequestBody_SentChunkedUpstream()
    {
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            var body = await ReadUntilAsync(stream, "0\r\n\r\n");
            await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        };
        using var client = _proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, Url("/up")) { Content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes("abcdef"))) };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request).WaitAsync(Bound);
        var echoed = await response.Content.ReadAsStringAsync();
        Assert.Contains("Transfer-Encoding: chunked", _heads[0], StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("0\r\n\r\n", echoed, StringComparison.Ordinal);
        Assert.Contains("abcdef", echoed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_HopByHopAndProxyHeaders_DroppedViaAdded()
    {
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-Secret\r\nX-Secret: s\r\n\r\nok");
        };
        using var client = _proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, Url("/h?q=1"));
        request.Headers.TryAddWithoutValidation("Proxy-Foo", "bar");
        request.Headers.TryAddWithoutValidation("Connection", "X-Drop");
        request.Headers.TryAddWithoutValidation("X-Drop", "1");
        request.Headers.TryAddWithoutValidation("X-Keep", "2");
        var response = await client.SendAsync(request).WaitAsync(Bound);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("X-Secret"));
        var head = _heads[0];
        Assert.StartsWith("GET /h?q=1 HTTP/1.1\r\nHost: raw.test:", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Proxy-Foo", head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-Drop", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Keep: 2\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Via: 1.1 egressguard-", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UpstreamClosedIdleConnection_RetriedOnFreshConnection()
    {
        _behaviour = async (stream, n) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{n}");
            if (n == 1)
            {
                // Keep-alive promised, then closed as soon as the next request arrives: the stale-connection race.
                await ReadHeadAsync(stream);
                return;
            }

            await ReadHeadAsync(stream);
        };
        using var client = _proxy.CreateClient();
        Assert.Equal("1", await client.GetStringAsync(Url("/a")).WaitAsync(Bound));
        Assert.Equal("2", await client.GetStringAsync(Url("/b")).WaitAsync(Bound));
        Assert.Equal(2, Volatile.Read(ref _connections));
    }

    [Theory]
    [InlineData("HTTP/1.1 abc Bad\r\n\r\n", "malformed status line")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", "malformed header line")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "invalid Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n", "invalid chunk size")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 0\n\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "control character in its status line")]
    [InlineData("HTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 B\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 D\r\n\r\nHTTP/1.1 100 E\r\n\r\nHTTP/1.1 100 F\r\n\r\nHTTP/1.1 100 G\r\n\r\nHTTP/1.1 100 H\r\n\r\nHTTP/1.1 100 I\r\n\r\nHTTP/1.1 100 J\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "more than 9 interim")]
    public async Task Get_MalformedUpstreamResponse_502WithReason(string reply, string reason)
    {
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, reply);
            await Task.Delay(200);
        };
        using var client = _proxy.CreateClient();
        if (reason == "invalid chunk size")
        {
            // The status and a first chunk were relayed before the body broke: the client's response is cut off instead.
            await Assert.ThrowsAnyAsync<Exception>(() => client.GetStringAsync(Url("/bad")).WaitAsync(Bound));
        }
        else
        {
            var response = await client.GetAsync(Url("/bad")).WaitAsync(Bound);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/bad");
        Assert.Equal("upstream-failed", line.Str("error.type"));
    }

    [Fact]
    public async Task Post_ConnectionNamesContentLength_LengthStillSentBodyNotASecondRequest()
    {
        // Regression (review of the lean path): the client's Connection header named Content-Length,
        // the header was dropped as connection-specific while the body was still sent, and the server
        // read the body as a second request that no policy had seen.
        const string Smuggled = "GET /denied HTTP/1.1\r\nHost: raw.test\r\n\r\n";
        _behaviour = async (stream, _) =>
        {
            var head = await ReadHeadAsync(stream);
            var body = new byte[Smuggled.Length];
            await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Bound);
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            await ReadHeadAsync(stream);
        };
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, new Uri(_proxy.Url).Port);
        var stream = tcp.GetStream();
        await WriteAsync(stream, $"POST {Url("/ok")} HTTP/1.1\r\nHost: raw.test\r\nConnection: Content-Length\r\nContent-Length: {Smuggled.Length}\r\n\r\n{Smuggled}");
        var answer = await ReadUntilAsync(stream, "ok");
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {Smuggled.Length}\r\n", _heads[0], StringComparison.Ordinal);
        await Task.Delay(200);
        lock (_heads)
        {
            Assert.Single(_heads);
        }
    }

    [Fact]
    public async Task Post_UpstreamAnswersBeforeTheBody_ResponseRelayedWithoutWaitingForTheBody()
    {
        // Regression (review of the lean path): the handler waited for the rest of the client's body,
        // up to Proxy:UpstreamTimeout (5 s here), before the early answer reached the client.
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            await Task.Delay(TimeSpan.FromSeconds(8));
        };
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, new Uri(_proxy.Url).Port);
        var stream = tcp.GetStream();
        await WriteAsync(stream, $"POST {Url("/upload")} HTTP/1.1\r\nHost: raw.test\r\nContent-Length: 100000\r\n\r\n" + new string('x', 1024));
        var answer = await ReadUntilAsync(stream, "\r\n\r\n").WaitAsync(TimeSpan.FromSeconds(4));
        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_OriginSendsProxyAuthenticate_NotRelayed()
    {
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nProxy-Authenticate: Basic realm=\"phish\"\r\nProxy-Foo: 1\r\nX-Kept: 1\r\n\r\nok");
        };
        using var client = _proxy.CreateClient();
        var response = await client.GetAsync(Url("/pa")).WaitAsync(Bound);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        Assert.False(response.Headers.Contains("Proxy-Foo"));
        Assert.True(response.Headers.Contains("X-Kept"));
    }

    [Fact]
    public async Task Get_EndlessTrailerSection_CutAndConnectionNotReused()
    {
        // Regression: trailer lines were read without a bound; an upstream could send them forever.
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n");
            var line = "X-T: " + new string('t', 1000) + "\r\n";
            try
            {
                for (var i = 0; i < 200; i++)
                {
                    await WriteAsync(stream, line);
                }

                // Held open past Proxy:UpstreamTimeout: without the bound the proxy would wait for more lines.
                await Task.Delay(TimeSpan.FromSeconds(6));
            }
            catch (IOException)
            {
                // The proxy cut the connection: what this test expects.
            }
        };
        using var client = _proxy.CreateClient();
        // A 502 when the head is still unsent, else the client connection is cut: never a clean end.
        Assert.NotNull(await Record.ExceptionAsync(() => client.GetStringAsync(Url("/trailer")).WaitAsync(Bound)));
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/trailer");
        Assert.Equal("upstream-failed", line.GetProperty("error.type").GetString());
    }

    [Fact]
    public async Task Get_ClientLeavesDuringDial_ClientClosedAndDialSocketClosed()
    {
        // A parent proxy that accepts and never answers the CONNECT: the dial waits until the client leaves.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var accepted = silent.AcceptSocketAsync();
            await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:Forwarder=lean",
                $"--Upstream:Proxy={silent.LocalEndpoint}", "--Proxy:ConnectTimeout=00:00:30");
            using var client = proxy.CreateClient();
            using var leave = new CancellationTokenSource();
            var get = client.GetAsync(Url("/dial"), leave.Token);
            using var parentSide = await accepted.WaitAsync(Bound);
            leave.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get);

            var line = await proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/dial");
            Assert.Equal("client-closed", line.GetProperty("error.type").GetString());

            // The dialled socket is closed, not left to the finalizer: the parent reads to its end.
            var buffer = new byte[4096];
            using var bound = new CancellationTokenSource(Bound);
            while (await parentSide.ReceiveAsync(buffer, SocketFlags.None, bound.Token) > 0)
            {
            }
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task Get_ClientReadsSlowerThanUpstreamTimeout_WholeBodyArrives()
    {
        // Regression: the upstream's clock ran while the proxy waited on a client that read slowly,
        // and a legal slow download was cut as an upstream timeout.
        const int size = 32 << 20;
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
            var block = new byte[1 << 20];
            for (var i = 0; i < 32; i++)
            {
                await stream.WriteAsync(block);
            }
        };
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:Forwarder=lean", "--Proxy:UpstreamTimeout=00:00:02");
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync(Encoding.ASCII.GetBytes($"GET {Url("/slow")} HTTP/1.1\r\nHost: raw.test\r\nConnection: close\r\n\r\n"));
        await Task.Delay(TimeSpan.FromSeconds(5)); // the client reads nothing for longer than the upstream timeout (2 s: a loaded machine must still answer within it)
        var all = await raw.ReadToEndAsync(TimeSpan.FromSeconds(20));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/slow");
        Assert.False(line.TryGetProperty("error.type", out var error), error.ToString());
        Assert.Equal(size, line.GetProperty("egressguard.bytes_down").GetInt64());
        Assert.True(all.Length > size);
    }

    [Fact]
    public async Task Get_OversizedResponseHead_502()
    {
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 70 * 1024) + "\r\n\r\n");
            await Task.Delay(200);
        };
        using var client = _proxy.CreateClient();
        var response = await client.GetAsync(Url("/big")).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("larger than 65536 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Head_ContentLengthWithoutBody_ConnectionReused()
    {
        _behaviour = async (stream, _) =>
        {
            while (await ReadHeadAsync(stream) is { } head)
            {
                await WriteAsync(stream, head.StartsWith("HEAD", StringComparison.Ordinal)
                    ? "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                    : "HTTP/1.1 204 No Content\r\n\r\n");
            }
        };
        using var client = _proxy.CreateClient();
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url("/x"))).WaitAsync(Bound);
        Assert.Equal(1000, head.Content.Headers.ContentLength);
        var empty = await client.GetAsync(Url("/y")).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        Assert.Equal(1, Volatile.Read(ref _connections));
    }

    [Fact]
    public async Task Head_TransferEncodingAndContentLength_ConnectionNotReused()
    {
        // Contradictory framing on a bodiless answer: the connection is not trusted with another request.
        _behaviour = async (stream, _) =>
        {
            while (await ReadHeadAsync(stream) is not null)
            {
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n");
            }
        };
        using var client = _proxy.CreateClient();
        for (var i = 0; i < 2; i++)
        {
            var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url("/te"))).WaitAsync(Bound);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        Assert.Equal(2, Volatile.Read(ref _connections));
    }

    [Fact]
    public async Task Get_TransferCodingOtherThanChunked_502()
    {
        _behaviour = async (stream, _) =>
        {
            await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        };
        using var client = _proxy.CreateClient();
        var response = await client.GetAsync(Url("/gz")).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("transfer coding other than chunked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_RawNonAsciiInPath_400NothingSent()
    {
        // The path rules see the decoded string; a byte above 0x7F must not reach the upstream as another byte.
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        var target = Url("/admin") + "\u4e2d";
        await raw.SendAsync(Encoding.UTF8.GetBytes($"GET {target} HTTP/1.1\r\nHost: raw.test\r\n\r\n"));
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 400", head, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref _connections));
    }

    [Fact]
    public async Task Post_CurlExpect100Continue_InterimAnswerSkippedBodyForwarded()
    {
        _behaviour = async (stream, _) =>
        {
            var head = await ReadHeadAsync(stream);
            await WriteAsync(stream, "HTTP/1.1 100 Continue\r\n\r\n");
            var length = int.Parse(head!.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var body = new byte[length];
            await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Bound);
            await WriteAsync(stream, $"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\n{length:D4}");
        };
        var (exit, output, error) = await Curl.RunAsync(["-s", "-x", _proxy.Url, "-H", "Expect: 100-continue", "--data-binary", new string('x', 1000), Url("/expect")]).WaitAsync(Bound);
        Assert.True(exit == 0, error);
        Assert.Equal("1000", output);
        Assert.Contains("Expect: 100-continue", _heads[0], StringComparison.OrdinalIgnoreCase);
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception)
            {
                return;
            }

            var n = Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using var stream = new NetworkStream(socket, ownsSocket: true);
                try
                {
                    await _behaviour(stream, n);
                }
                catch (IOException)
                {
                }
            });
        }
    }

    /// <summary>The next request head, recorded; null at the client's close.</summary>
    private async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = await ReadUntilAsync(stream, "\r\n\r\n");
        if (head.Length == 0)
        {
            return null;
        }

        lock (_heads)
        {
            _heads.Add(head);
        }

        return head;
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string end)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one).AsTask().WaitAsync(Bound) == 0)
            {
                return string.Empty;
            }

            text.Append((char)one[0]);
        }

        return text.ToString();
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.Latin1.GetBytes(text)).AsTask();
}
