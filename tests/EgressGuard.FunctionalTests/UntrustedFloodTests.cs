using System.Diagnostics;
using System.Net;
using EgressGuard.Exchange;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// A flood from outside the trusted ranges: capped like any client, its refusal lines aggregated
/// per source, and the decision log's queue bounded (issue 16, item 6).
/// </summary>
public sealed class UntrustedFloodTests : IDisposable
{
    private readonly TestDnsServer _dns = new();

    public void Dispose() => _dns.Dispose();

    [Fact]
    public async Task UntrustedClient_OverNewConnectionRate_Refused503BeforeTrustCheck()
    {
        // 127.0.0.1 is outside the trusted ranges here.
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:TrustedClients:0=192.0.2.0/24", "--Proxy:MaxNewConnectionsPerClientPerSecond=2");
        var heads = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            using var raw = await RawClient.ConnectAsync(proxy.Port);
            heads.Add((await raw.ReadHeadAsync()).Head);
        }

        Assert.Contains(heads, h => h.StartsWith("HTTP/1.1 403", StringComparison.Ordinal) && h.Contains("untrusted-client", StringComparison.Ordinal));
        Assert.Contains(heads, h => h.StartsWith("HTTP/1.1 503", StringComparison.Ordinal) && h.Contains("too-many-connections", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UntrustedRefusals_ManyInOneWindow_OneLineAtOnceThenOneWithTheCount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await TestProxy.StartAsync(
            _dns.Endpoint, "", "", services => services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RefusalLog>(sp, clock)), "--Proxy:TrustedClients:0=192.0.2.0/24");
        var refusals = proxy.Services.GetRequiredService<RefusalLog>();
        List<System.Text.Json.JsonElement> Lines() => proxy.ReadDecisions().Where(l => l.Str("error.type") == "untrusted-client").ToList();

        for (var i = 0; i < 5; i++)
        {
            using var raw = await RawClient.ConnectAsync(proxy.Port);
            Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
        }

        // 1. The first refusal is written at once; the four after it are only counted.
        await Eventually.UntilAsync(() => refusals.Pending == 4, "four refusals counted after the first");
        var first = await proxy.WaitForDecisionAsync(l => l.Str("error.type") == "untrusted-client");
        Assert.Equal(1, first.GetProperty("egressguard.refusals").GetInt32());
        // The reason says why, like the metric and the history row (it said bad-request before).
        Assert.Equal("untrusted-client", first.Str("egressguard.reason"));
        Assert.Equal("127.0.0.1", first.Str("client.address"));
        Assert.Single(Lines());

        // 2. The window ends: one line standing for the four.
        clock.Advance(TimeSpan.FromMinutes(1));
        await Eventually.UntilAsync(() => Lines().Count == 2, "the window's line");
        Assert.Equal(4, Lines()[1].GetProperty("egressguard.refusals").GetInt32());
        Assert.Equal(0, refusals.Pending);

        // 3. A quiet window is forgotten; the next refusal is written at once again.
        clock.Advance(TimeSpan.FromMinutes(1));
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
        }

        await Eventually.UntilAsync(() => Lines().Count == 3, "the next window's first line");
        Assert.Equal(1, Lines()[2].GetProperty("egressguard.refusals").GetInt32());
    }

    [Fact]
    public async Task UntrustedRefusals_CountedWhenStopping_WrittenBeforeExit()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await TestProxy.StartAsync(
            _dns.Endpoint, "", "", services => services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RefusalLog>(sp, clock)), "--Proxy:TrustedClients:0=192.0.2.0/24");
        var refusals = proxy.Services.GetRequiredService<RefusalLog>();
        for (var i = 0; i < 4; i++)
        {
            using var raw = await RawClient.ConnectAsync(proxy.Port);
            Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
        }

        await Eventually.UntilAsync(() => refusals.Pending == 3, "three refusals counted after the first");

        // The window has not ended (the clock stands still): stopping must write its count anyway.
        await proxy.StopAsync();

        var lines = proxy.ReadDecisions().Where(l => l.Str("error.type") == "untrusted-client").ToList();
        Assert.Equal([1, 3], lines.Select(l => l.GetProperty("egressguard.refusals").GetInt32()));
        Assert.Equal(0, refusals.Pending);
    }

    [Fact]
    public async Task DecisionLog_QueueFull_LinesDroppedAndCounted()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");
        // Not started: nothing drains its queue, as when the writer falls behind.
        using var log = ActivatorUtilities.CreateInstance<DecisionLog>(proxy.Services, Options.Create(new LogOptions { QueueCapacity = 3 }));
        for (var i = 0; i < 5; i++)
        {
            log.Write(new ProxyExchange { Time = DateTimeOffset.UtcNow, StartTimestamp = 0, Method = "CONNECT", Client = new IPEndPoint(IPAddress.Loopback, 1000 + i), TraceId = ActivityTraceId.CreateRandom() });
        }

        Assert.Equal(2, log.QueueDropped);
        Assert.Equal(2, log.Dropped);
    }
}
