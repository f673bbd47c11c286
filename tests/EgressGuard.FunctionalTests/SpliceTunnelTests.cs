using System.Net;
using System.Net.Sockets;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Blind tunnels relayed by splice(2) on Linux (<c>Proxy:Splice</c>, on by default), and by the copy when it is off.</summary>
public sealed class SpliceTunnelTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestProxy _proxy = null!;

    /// <summary>What the decision line says moved a raw-socket tunnel's bytes on this OS with splice on.</summary>
    private static string DefaultRelay => OperatingSystem.IsLinux() ? "splice" : "copy";

    public async Task InitializeAsync() => _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _dns.Dispose();
    }

    [Fact]
    public async Task Connect_Bulk8MiBBothWaysWithEarlyBytes_ByteExactCountedAndSpliced()
    {
        using var echo = new TcpTestServer(IPAddress.Loopback);
        var early = "early bytes after the head"u8.ToArray();
        var payload = new byte[8 * 1024 * 1024];
        new Random(17).NextBytes(payload);
        using (var raw = await RawClient.ConnectAsync(_proxy.Port))
        {
            await raw.SendAsync([.. Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n"), .. early]);
            var (head, after) = await raw.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 200", head);

            // Send and receive at once: the echo answers while the upload is still running.
            var send = raw.Socket.SendAsync(payload, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(60));
            var expected = early.Length + payload.Length;
            var received = after.Length >= expected ? after : [.. after, .. await raw.ReadExactlyAsync(expected - after.Length, TimeSpan.FromSeconds(60))];
            await send;
            Assert.True(early.AsSpan().SequenceEqual(received.AsSpan(0, early.Length)), "early bytes first");
            Assert.True(payload.AsSpan().SequenceEqual(received.AsSpan(early.Length)), "payload byte-exact");
            raw.Socket.Shutdown(SocketShutdown.Send);
            Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        }

        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal(early.Length + payload.Length, line.GetProperty("egressguard.bytes_up").GetInt64());
        Assert.Equal(early.Length + payload.Length, line.GetProperty("egressguard.bytes_down").GetInt64());
        Assert.Equal(DefaultRelay, line.Str("egressguard.tunnel.relay"));
    }

    [Fact]
    public async Task Connect_ClientHalfCloseSpliced_UpstreamSeesEveryByteAndAnswers()
    {
        using var counter = new TcpTestServer(IPAddress.Loopback, countUntilEof: true);
        const int size = 3 * 1024 * 1024 + 7;
        using (var raw = await RawClient.ConnectAsync(_proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{counter.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
            await raw.Socket.SendAsync(new byte[size], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(60));
            raw.Socket.Shutdown(SocketShutdown.Send);

            // The server answers only after our FIN came through the tunnel, then closes: its FIN ends our read.
            Assert.Equal($"received {size} bytes", Encoding.ASCII.GetString(await raw.ReadToEndAsync(TimeSpan.FromSeconds(30))));
        }

        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == counter.Port);
        Assert.Equal(size, line.GetProperty("egressguard.bytes_up").GetInt64());
        Assert.Equal($"received {size} bytes".Length, line.GetProperty("egressguard.bytes_down").GetInt64());
        Assert.Equal(DefaultRelay, line.Str("egressguard.tunnel.relay"));
        Assert.False(line.TryGetProperty("error.type", out _), "a clean half-close both ways is no error");
    }

    [Fact]
    public async Task Connect_SpliceOff_CopiedByteExactAndSaysCopy()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:Splice=false");
        using var echo = new TcpTestServer(IPAddress.Loopback);
        var payload = new byte[1024 * 1024];
        new Random(3).NextBytes(payload);
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
            var send = raw.Socket.SendAsync(payload, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(60));
            var received = await raw.ReadExactlyAsync(payload.Length, TimeSpan.FromSeconds(60));
            await send;
            Assert.True(payload.AsSpan().SequenceEqual(received));
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal(payload.Length, line.GetProperty("egressguard.bytes_up").GetInt64());
        Assert.Equal("copy", line.Str("egressguard.tunnel.relay"));
    }
}
