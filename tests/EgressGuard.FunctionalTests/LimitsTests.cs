using System.Net;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Connection caps and tunnel lifetime, over real sockets.</summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _echo = new(IPAddress.Loopback);
    private TestProxy _proxy = null!;

    public async Task InitializeAsync() =>
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:MaxConnectionsPerClient=2", "--Proxy:MaxTunnelLifetime=00:00:01", "--Proxy:HeadTimeout=00:00:05");

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _echo.Dispose();
        _dns.Dispose();
    }

    [Fact]
    public async Task PerClientCap_ThirdConnection503UntilOneCloses()
    {
        using var first = await RawClient.ConnectAsync(_proxy.Port);
        using var second = await RawClient.ConnectAsync(_proxy.Port);
        // A client's connect completes in the kernel before the proxy accepts and counts it.
        await WaitForOpenConnectionsAsync(2);
        using (var third = await RawClient.ConnectAsync(_proxy.Port))
        {
            var (head, _) = await third.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 503", head);
            Assert.Contains("X-EgressGuard-Reason: too-many-connections", head);
        }

        first.Dispose();
        await WaitForOpenConnectionsAsync(1);
        using var fourth = await RawClient.ConnectAsync(_proxy.Port);
        await fourth.SendAsync($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await fourth.ReadHeadAsync()).Head);
    }

    private Task WaitForOpenConnectionsAsync(int count) =>
        Eventually.UntilAsync(async () => (await _proxy.StatusAsync()).GetProperty("openConnections").GetInt32() == count, $"{count} open connection(s) counted by the proxy");

    [Fact]
    public async Task MaxTunnelLifetime_TunnelClosedAndLogged()
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        await raw.SendAsync("ping");
        Assert.Equal("ping", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(4)));
        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        await _proxy.WaitForDecisionAsync(l => l.Str("error.type") == "max-lifetime");
    }

    [Fact]
    public async Task Slowloris_StalledHeadsDroppedWhileGoodClientServed()
    {
        // Hundreds of half-sent heads from the good client's own address, with no per-client cap:
        // each holds only a pending receive, and all are dropped at the head timeout.
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:HeadTimeout=00:00:02");
        var stalled = new List<RawClient>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                var raw = await RawClient.ConnectAsync(proxy.Port);
                await raw.SendAsync("CONNECT good.test:443 HTTP/1.1\r\nHo");
                stalled.Add(raw);
            }

            var watch = System.Diagnostics.Stopwatch.StartNew();
            using var good = await RawClient.ConnectAsync(proxy.Port);
            await good.SendAsync($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await good.ReadHeadAsync(TimeSpan.FromSeconds(10))).Head);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"good client waited {watch.Elapsed}");

            // The stalled ones are answered 408 and closed after the head timeout.
            var (head, _) = await stalled[0].ReadHeadAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 408", head);
        }
        finally
        {
            foreach (var raw in stalled)
            {
                raw.Dispose();
            }
        }
    }

    [Fact]
    public async Task NewConnectionRate_OverItRefused503()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:MaxNewConnectionsPerClientPerSecond=3");
        var heads = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            using var raw = await RawClient.ConnectAsync(proxy.Port);
            await raw.SendAsync($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1\r\n\r\n");
            heads.Add((await raw.ReadHeadAsync()).Head);
        }

        // 3 per second: even if the ten connections straddle a second boundary, at most 6 get through.
        Assert.True(heads.Count(h => h.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)) <= 6, string.Join("|", heads));
        Assert.Contains(heads, h => h.StartsWith("HTTP/1.1 503", StringComparison.Ordinal) && h.Contains("too-many-connections", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdleTunnel_ClosedAfterIdleTimeout()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:IdleTimeout=00:00:01");
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        await proxy.WaitForDecisionAsync(l => l.Str("error.type") == "idle-timeout");
    }
}
