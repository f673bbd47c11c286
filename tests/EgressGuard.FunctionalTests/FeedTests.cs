using System.Net;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Policy;
using EgressGuard.ThreatFeeds;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// Threat feeds end to end: a real HTTP feed server on loopback, the real proxy, real tunnels.
/// Refreshes are triggered through the proxy's own FeedManager (the schedule itself is tested
/// with a fake clock in the unit tests), so every step here is deterministic.
/// </summary>
public sealed class FeedTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _listed = new(IPAddress.Parse("127.0.0.90"));
    private readonly TcpTestServer _other = new(IPAddress.Parse("127.0.0.91"));
    private readonly string _data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "data-" + Guid.NewGuid().ToString("N"));
    private TestFeedServer _feed = null!;

    public async Task InitializeAsync() => _feed = await TestFeedServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _feed.DisposeAsync();
        _listed.Dispose();
        _other.Dispose();
        _dns.Dispose();
    }

    private static string List(string first, int filler) =>
        first + "\n" + string.Join('\n', Enumerable.Range(1, filler).Select(i => $"127.1.{i / 250}.{i % 250 + 1}")) + "\n";

    private Task<TestProxy> StartProxyAsync(params string[] extra) =>
        TestProxy.StartAsync(_dns.Endpoint, "", "", [
            "--Feeds:0:Name=test-c2", "--Feeds:0:Format=plain", $"--Feeds:0:Source={_feed.Url}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Timeout=00:00:01", "--Feeds:0:Category=c2",
            $"--Data:Directory={_data}", .. extra]);

    private static FeedManager Feeds(TestProxy proxy) => proxy.Services.GetRequiredService<FeedManager>();

    private static async Task<string> ConnectAsync(TestProxy proxy, string target)
    {
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT {target} HTTP/1.1\r\n\r\n");
        return (await raw.ReadHeadAsync()).Head;
    }

    /// <summary>Waits (bounded) until the feed has loaded and the policy in force includes it.</summary>
    private static async Task WaitLoadedAsync(TestProxy proxy, string name)
    {
        var feeds = Feeds(proxy);
        var policy = proxy.Services.GetRequiredService<IPolicySource>();
        bool Ready() => feeds.Get(name).Loaded && policy.Current.BadIps.Sources.Any(s => s.Name == "feed:" + name);
        for (var i = 0; i < 200 && !Ready(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(Ready(), feeds.Get(name).LastError);
    }

    [Fact]
    public async Task FeedUrlWithCredentialsAndQuery_RedactedInSummaryAndFeedsApi_HeadersSentNeverLogged()
    {
        _feed.Body = List("127.0.0.77", 10);
        var source = _feed.Url.Replace("http://", "http://reader:s3cret-pass@", StringComparison.Ordinal) + "?apikey=s3cret-key&format=plain";
        await using var proxy = await StartProxyAsync($"--Feeds:0:Source={source}", "--Feeds:0:Headers:X-Api-Key=s3cret-header");
        await WaitLoadedAsync(proxy, "test-c2");

        Assert.Equal("s3cret-header", _feed.LastApiKey);
        using var admin = proxy.CreateAdminClient();
        var feeds = await admin.GetStringAsync("/feeds");
        var redacted = _feed.Url.Replace("http://", "http://***@", StringComparison.Ordinal) + "?apikey=***&format=***";
        Assert.Contains(redacted, feeds);
        var logs = string.Join("\n", proxy.Logs.Lines);
        Assert.Contains(redacted, logs);
        foreach (var secret in new[] { "s3cret-pass", "s3cret-key", "s3cret-header" })
        {
            Assert.DoesNotContain(secret, feeds, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UrlFeed_BadDownloadsKeepLastGood_GoodRefreshEnforcedWithoutRestart()
    {
        _feed.Body = List("127.0.0.90", 99);
        await using var proxy = await StartProxyAsync();
        var feeds = Feeds(proxy);
        await WaitLoadedAsync(proxy, "test-c2");

        var denied = await ConnectAsync(proxy, $"127.0.0.90:{_listed.Port}");
        Assert.StartsWith("HTTP/1.1 403", denied);
        Assert.Contains("X-EgressGuard-Rule: feed:test-c2", denied);

        // Each bad answer is refused; the last good data stays in force.
        foreach (var mode in new[] { FeedServerMode.ServerError, FeedServerMode.Html, FeedServerMode.Truncated, FeedServerMode.Hang })
        {
            _feed.Mode = mode;
            var state = await feeds.RefreshAsync("test-c2", default);
            Assert.True(state.LastError is not null, mode.ToString());
            Assert.Equal(100, state.EntryCount);
            Assert.StartsWith("HTTP/1.1 403", await ConnectAsync(proxy, $"127.0.0.90:{_listed.Port}"));
        }

        _feed.Mode = FeedServerMode.Ok;
        _feed.Body = List("127.0.0.90", 5); // 90 % smaller: the shrink guard refuses it
        var shrunk = await feeds.RefreshAsync("test-c2", default);
        Assert.Contains("shrink guard", shrunk.LastError);
        Assert.Equal(100, shrunk.EntryCount);

        // Unchanged data: a conditional request, answered 304.
        _feed.Body = List("127.0.0.90", 99);
        await feeds.RefreshAsync("test-c2", default);
        var before304 = _feed.NotModifiedAnswers;
        var unchanged = await feeds.RefreshAsync("test-c2", default);
        Assert.Equal(before304 + 1, _feed.NotModifiedAnswers);
        Assert.Null(unchanged.LastError);

        // A good new list: enforced at once, no restart.
        _feed.Body = List("127.0.0.91", 99);
        await feeds.RefreshAsync("test-c2", default);
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync(proxy, $"127.0.0.90:{_listed.Port}"));
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync(proxy, $"127.0.0.91:{_other.Port}"));
        Assert.Equal(0, _other.Connections);
    }

    [Fact]
    public async Task Restart_FeedServerDown_CachedDataEnforced()
    {
        _feed.Body = List("127.0.0.90", 9);
        await using (var first = await StartProxyAsync())
        {
            await WaitLoadedAsync(first, "test-c2");
        }

        _feed.Mode = FeedServerMode.ServerError;
        await using var second = await StartProxyAsync();
        var state = Feeds(second).Get("test-c2");
        Assert.True(state.Loaded);
        Assert.Equal(10, state.EntryCount);
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync(second, $"127.0.0.90:{_listed.Port}"));
    }

    [Fact]
    public async Task LiveTunnel_AddressNewlyListed_TunnelClosedAndLogged()
    {
        _feed.Body = List("127.0.0.91", 9);
        await using var proxy = await StartProxyAsync();
        var feeds = Feeds(proxy);
        await WaitLoadedAsync(proxy, "test-c2");

        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.90:{_listed.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        await raw.SendAsync("ping");
        Assert.Equal("ping", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(4)));

        _feed.Body = List("127.0.0.90", 9);
        await feeds.RefreshAsync("test-c2", default);

        // The proxy closes the tunnel: the client reads the end of the stream.
        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "127.0.0.90" && l.Str("egressguard.decision") == "allow");
        Assert.Equal("policy-changed", line.Str("error.type"));
        Assert.Equal("feed:test-c2", line.Str("egressguard.closed_by.rule"));
        Assert.Equal("127.0.0.90", line.Str("egressguard.closed_by.entry"));
    }

    [Fact]
    public async Task RequiredFeed_NeverLoaded_503FailClosed()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", [
            "--Feeds:0:Name=must-have", "--Feeds:0:Format=plain", $"--Feeds:0:Source=http://127.0.0.1:{ForwardingTests.FreeTcpPort()}/feed.txt",
            "--Feeds:0:Required=true", "--Feeds:0:Timeout=00:00:01", $"--Data:Directory={_data}"]);
        var head = await ConnectAsync(proxy, $"127.0.0.90:{_listed.Port}");
        Assert.StartsWith("HTTP/1.1 503", head);
        Assert.Contains("X-EgressGuard-Reason: feed-unavailable", head);
        Assert.Equal(0, _listed.Connections);
    }

    [Fact]
    public async Task ReportModeFeed_AllowsAndLogsWouldDeny()
    {
        _feed.Body = List("127.0.0.90", 9);
        await using var proxy = await StartProxyAsync("--Feeds:0:Mode=report");
        await WaitLoadedAsync(proxy, "test-c2");

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.90:{_listed.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "127.0.0.90");
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.Equal("feed:test-c2 127.0.0.90", line.Str("egressguard.would_deny"));
        var match = line.GetProperty("egressguard.matches")[0];
        Assert.Equal("report", match.Str("mode"));
        Assert.Equal("c2", match.Str("category"));
    }

    private static async Task<string> ExplainAsync(TestProxy proxy, string destination)
    {
        using var admin = proxy.CreateAdminClient();
        var response = await admin.PostAsync("/explain", new StringContent($$"""{"client":"127.0.0.1","destination":"{{destination}}","port":80}""", Encoding.UTF8, "application/json"));
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var decision = body.RootElement.GetProperty("decision");
        return decision.GetProperty("action").GetString() + " " + (decision.TryGetProperty("rule", out var rule) ? rule.GetString() : null);
    }

    private static async Task<System.Text.Json.JsonElement> FeedStatusAsync(TestProxy proxy, string name)
    {
        using var admin = proxy.CreateAdminClient();
        using var feeds = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/feeds"));
        return feeds.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name).Clone();
    }

    [Fact]
    public async Task FeedListingKnownGood_EntriesCoveringItDroppedAndCounted_OthersEnforced()
    {
        _feed.Body = "8.8.8.8/32\n8.8.0.0/16\n127.0.0.66\n";
        await using var proxy = await StartProxyAsync("--Feeds:0:Timeout=00:00:10"); // a first download on a loaded machine can take over 1 s
        await WaitLoadedAsync(proxy, "test-c2");

        var status = await FeedStatusAsync(proxy, "test-c2");
        Assert.Equal(2, status.GetProperty("droppedKnownGood").GetInt32());
        Assert.Equal(1, status.GetProperty("entries").GetInt32());
        Assert.StartsWith("allow", await ExplainAsync(proxy, "8.8.8.8"));
        Assert.StartsWith("allow", await ExplainAsync(proxy, "8.8.1.1"));
        var denied = await ConnectAsync(proxy, "127.0.0.66:9");
        Assert.StartsWith("HTTP/1.1 403", denied);
        Assert.Contains("X-EgressGuard-Rule: feed:test-c2", denied);
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("probable false positive: 8.8.0.0/16 covers 8.8.", StringComparison.Ordinal) && l.Contains("entry dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FeedListingKnownGood_DropKnownGoodFalse_KeptAndWarned()
    {
        _feed.Body = "8.8.8.8/32\n8.8.0.0/16\n127.0.0.66\n";
        await using var proxy = await StartProxyAsync("--Hygiene:DropKnownGood=false", "--Feeds:0:Timeout=00:00:10");
        await WaitLoadedAsync(proxy, "test-c2");

        var status = await FeedStatusAsync(proxy, "test-c2");
        Assert.Equal(0, status.GetProperty("droppedKnownGood").GetInt32());
        Assert.Equal(3, status.GetProperty("entries").GetInt32());
        Assert.Equal("deny feed:test-c2", await ExplainAsync(proxy, "8.8.8.8"));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("probable false positive: 8.8.8.8 covers 8.8.8.8", StringComparison.Ordinal) && l.Contains("entry kept", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AdminListListingKnownGood_NeverFiltered()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "8.8.8.8\n", "");
        Assert.Equal("deny list:test-bad-ips", await ExplainAsync(proxy, "8.8.8.8"));
    }
}
