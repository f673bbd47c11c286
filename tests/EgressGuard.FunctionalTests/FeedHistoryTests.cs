using System.Net;
using System.Text.Json;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.ThreatFeeds;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// <c>GET /feeds/{name}/history</c> against the real proxy and a real HTTP feed server; refreshes
/// are triggered through the proxy's own FeedManager, as in <see cref="FeedTests"/>.
/// </summary>
public sealed class FeedHistoryTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly string _data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "data-" + Guid.NewGuid().ToString("N"));
    private TestFeedServer _feed = null!;

    public async Task InitializeAsync() => _feed = await TestFeedServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _feed.DisposeAsync();
        _dns.Dispose();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private static string List(int count) =>
        string.Join('\n', Enumerable.Range(1, count).Select(i => $"127.1.{i / 250}.{i % 250 + 1}")) + "\n";

    private Task<TestProxy> StartProxyAsync() =>
        TestProxy.StartAsync(_dns.Endpoint, "", "", [
            "--Feeds:0:Name=test-c2", "--Feeds:0:Format=plain", $"--Feeds:0:Source={_feed.Url}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Timeout=00:00:01",
            $"--Data:Directory={_data}"]);

    private static async Task WaitLoadedAsync(TestProxy proxy)
    {
        var feeds = proxy.Services.GetRequiredService<FeedManager>();
        for (var i = 0; i < 200 && !feeds.Get("test-c2").Loaded; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(feeds.Get("test-c2").Loaded, feeds.Get("test-c2").LastError);
    }

    private static async Task<List<(DateTimeOffset At, int Entries, int Dropped)>> HistoryAsync(TestProxy proxy)
    {
        using var admin = proxy.CreateAdminClient();
        var body = JsonDocument.Parse(await admin.GetStringAsync("/feeds/test-c2/history")).RootElement;
        return body.EnumerateArray()
            .Select(p => (p.GetProperty("at").GetDateTimeOffset(), p.GetProperty("entries").GetInt32(), p.GetProperty("dropped").GetInt32()))
            .ToList();
    }

    [Fact]
    public async Task FeedHistory_RefreshedTwiceWithDifferentContent_OnePointPerLoadWithItsCount()
    {
        _feed.Body = List(100);
        await using var proxy = await StartProxyAsync();
        await WaitLoadedAsync(proxy);
        _feed.Body = List(120);
        var refreshed = await proxy.Services.GetRequiredService<FeedManager>().RefreshAsync("test-c2", default);
        Assert.Null(refreshed.LastError);

        var points = await HistoryAsync(proxy);

        Assert.Equal([100, 120], points.Select(p => p.Entries));
        Assert.All(points, p => Assert.Equal(0, p.Dropped));
        Assert.True(points[0].At <= points[1].At, $"{points[0].At:O} then {points[1].At:O}");
        Assert.Equal(refreshed.LoadedAt, points[1].At);
    }

    [Fact]
    public async Task FeedHistory_UnknownFeedOrNoToken_404Or401()
    {
        _feed.Body = List(10);
        await using var proxy = await StartProxyAsync();
        using var admin = proxy.CreateAdminClient();
        using var anonymous = proxy.CreateAdminClient(token: null);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/feeds/no-such-feed/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/feeds/test-c2/history")).StatusCode);
    }

    [Fact]
    public async Task FeedHistory_Restart_SeriesKeptFromDataDirectory()
    {
        _feed.Body = List(50);
        await using (var first = await StartProxyAsync())
        {
            await WaitLoadedAsync(first);
            _feed.Body = List(60);
            await first.Services.GetRequiredService<FeedManager>().RefreshAsync("test-c2", default);
        }

        _feed.Mode = FeedServerMode.ServerError;
        await using var second = await StartProxyAsync();

        Assert.Equal([50, 60], (await HistoryAsync(second)).Select(p => p.Entries));
    }
}
