using EgressGuard.Addressing;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.ThreatFeeds;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.ThreatFeeds;

/// <summary>
/// The refresh rules with a scripted source standing in for the network (the real HTTP source is
/// exercised against a Kestrel feed server in the functional tests) and a fake clock.
/// </summary>
public class FeedManagerTests
{
    /// <summary>Returns whatever the test queued next.</summary>
    private sealed class ScriptedFetcher : IFeedFetcher
    {
        public Queue<FetchResult> Next { get; } = new();

        public List<FetchValidators?> Validators { get; } = [];

        public Task<FetchResult> FetchAsync(FeedOptions feed, string baseDirectory, FetchValidators? validators, CancellationToken cancellationToken)
        {
            Validators.Add(validators);
            return Task.FromResult(Next.Count > 0 ? Next.Dequeue() : FetchResult.Failure("nothing scripted"));
        }
    }

    private static FetchResult Text(string text, string? etag = null) => new(FetchStatus.Updated, text, etag, null, null);

    private static string Ips(int count, int start = 1) =>
        string.Join('\n', Enumerable.Range(start, count).Select(i => $"198.51.{i / 256}.{i % 256}"));

    /// <summary>A few of config/known-good.txt's public resolvers.</summary>
    private static readonly string[] KnownGood = ["8.8.8.8", "8.8.4.4", "1.1.1.1", "9.9.9.9", "2001:4860:4860::8888"];

    private static (FeedManager Manager, ScriptedFetcher Fetcher, FakeTimeProvider Time, string CacheDir) Create(FeedOptions? options = null, HygieneOptions? hygiene = null, string? cacheDir = null)
    {
        var fetcher = new ScriptedFetcher();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        cacheDir ??= Path.Combine(Path.GetTempPath(), "eg-feedcache-" + Guid.NewGuid().ToString("N"));
        var feed = options ?? new FeedOptions { Name = "test", Format = "plain", Source = "https://feeds.example/test.txt", Hygiene = false };
        var manager = new FeedManager(
            [feed],
            new FeedHygiene(hygiene ?? new HygieneOptions(), [IpNetworkParser.Parse("81.2.69.0/24")], KnownGood.Select(IpNetworkParser.Parse)),
            fetcher,
            new FeedCache(cacheDir),
            "/",
            time,
            NullLogger.Instance);
        return (manager, fetcher, time, cacheDir);
    }

    [Fact]
    public async Task Refresh_GoodDownload_AppliedAndChangedRaised()
    {
        var (manager, fetcher, _, _) = Create();
        FeedState? changed = null;
        manager.Changed += s => changed = s;
        fetcher.Next.Enqueue(Text(Ips(100), etag: "\"v1\""));

        var state = await manager.RefreshAsync("test", default);

        Assert.True(state.Loaded);
        Assert.Equal(100, state.EntryCount);
        Assert.Same(state, changed);
        Assert.Equal("\"v1\"", state.Validators!.ETag);
    }

    [Fact]
    public async Task Refresh_SecondTime_SendsValidatorsAndNotModifiedKeepsData()
    {
        var (manager, fetcher, _, _) = Create();
        fetcher.Next.Enqueue(Text(Ips(10), etag: "\"v1\""));
        await manager.RefreshAsync("test", default);
        fetcher.Next.Enqueue(new FetchResult(FetchStatus.NotModified, null, "\"v1\"", null, null));
        var changes = 0;
        manager.Changed += _ => changes++;

        var state = await manager.RefreshAsync("test", default);

        Assert.Equal("\"v1\"", fetcher.Validators[1]!.ETag);
        Assert.Equal(10, state.EntryCount);
        Assert.Equal(0, changes);
        Assert.Null(state.LastError);
    }

    public static TheoryData<string, string> BadDownloads => new()
    {
        { "server error", "" },
        { "html page", "<html><body>Service temporarily unavailable</body></html>" },
        { "90% smaller", Ips(10) },
        { "empty", "# nothing today\n" },
        { "mostly garbage", "error\nerror\nerror\n198.51.0.1\n" },
    };

    [Theory]
    [MemberData(nameof(BadDownloads))]
    public async Task Refresh_BadDownload_LastGoodKeptAndErrorReported(string name, string body)
    {
        var (manager, fetcher, _, cacheDir) = Create();
        fetcher.Next.Enqueue(Text(Ips(100)));
        await manager.RefreshAsync("test", default);
        fetcher.Next.Enqueue(body.Length == 0 ? FetchResult.Failure("HTTP 500 Internal Server Error") : Text(body));
        var changes = 0;
        manager.Changed += _ => changes++;

        var state = await manager.RefreshAsync("test", default);

        Assert.True(100 == state.EntryCount, name);
        Assert.NotNull(state.LastError);
        var status = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(cacheDir, "status.json"))).RootElement[0];
        Assert.Equal(state.LastError, status.GetProperty("lastError").GetString());
        Assert.Equal(100, status.GetProperty("entries").GetInt32());
        Assert.Equal(1, state.ConsecutiveFailures);
        Assert.Equal(0, changes);
    }

    [Fact]
    public async Task Refresh_ShrinkWithinGuard_Applied()
    {
        var (manager, fetcher, _, _) = Create();
        fetcher.Next.Enqueue(Text(Ips(100)));
        await manager.RefreshAsync("test", default);
        fetcher.Next.Enqueue(Text(Ips(60)));
        Assert.Equal(60, (await manager.RefreshAsync("test", default)).EntryCount);
    }

    [Fact]
    public async Task Refresh_ShrinkGuardSetting_IndependentOfHygiene()
    {
        var options = new FeedOptions { Name = "test", Format = "plain", Source = "https://x/", Hygiene = false, ShrinkGuard = 0.95 };
        var (manager, fetcher, _, _) = Create(options);
        fetcher.Next.Enqueue(Text(Ips(100)));
        await manager.RefreshAsync("test", default);
        fetcher.Next.Enqueue(Text(Ips(10)));
        Assert.Equal(10, (await manager.RefreshAsync("test", default)).EntryCount);
    }

    [Fact]
    public async Task Refresh_Hygiene_DropsNonPublicExcludedAndTooWideTrimsOverlaps()
    {
        var options = new FeedOptions { Name = "test", Format = "plain", Source = "https://x/", Hygiene = true };
        var (manager, fetcher, _, _) = Create(options, new HygieneOptions { DropKnownGood = false });
        fetcher.Next.Enqueue(Text("10.0.0.0/8\n192.168.1.1\n127.0.0.0/8\n224.0.0.0/3\n81.2.69.5\n0.0.0.0/0\n45.154.244.193\n172.0.0.0/8\n2001:db8::/32\n2a00::/12\n8.8.8.0/24\n"));

        var state = await manager.RefreshAsync("test", default);

        var kept = state.Ranges.Select(r => r.ToString()).ToList();
        Assert.Contains("45.154.244.193", kept);
        Assert.Contains("172.0.0.0/12", kept);
        Assert.Contains("172.32.0.0-172.255.255.255", kept);
        Assert.Contains("8.8.8.0/24", kept); // DropKnownGood=false: known-good is only logged
        Assert.DoesNotContain("10.0.0.0/8", kept);
        Assert.DoesNotContain("81.2.69.5", kept);
        Assert.Equal(4, state.Hygiene.NonPublic); // 10/8, 192.168.1.1, 127/8, 2001:db8::/32 (224/3 is too wide)
        Assert.Equal(1, state.Hygiene.Excluded);
        Assert.Equal(3, state.Hygiene.TooWide);   // 224/3, 0/0, 2a00::/12
        Assert.Equal(1, state.Hygiene.Trimmed);
        Assert.Equal(1, state.Hygiene.KnownGood);
        Assert.Equal(0, state.Hygiene.DroppedKnownGood);
    }

    [Fact]
    public async Task Refresh_DropKnownGood_EntryRemoved()
    {
        var options = new FeedOptions { Name = "test", Format = "plain", Source = "https://x/", Hygiene = true };
        var (manager, fetcher, _, _) = Create(options, new HygieneOptions { DropKnownGood = true });
        fetcher.Next.Enqueue(Text("1.1.1.1\n45.154.244.193\n9.9.9.0/24\n"));
        var state = await manager.RefreshAsync("test", default);
        Assert.Equal(["45.154.244.193"], state.Ranges.Select(r => r.ToString()));
        Assert.Equal(2, state.Hygiene.DroppedKnownGood);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Refresh_FeedCoveringKnownGood_DroppedByDefaultWhateverTheFeedsHygiene(bool feedHygiene, bool keep)
    {
        var options = new FeedOptions { Name = "test", Format = "plain", Source = "https://x/", Hygiene = feedHygiene };
        var (manager, fetcher, _, _) = Create(options, keep ? new HygieneOptions { DropKnownGood = false } : new HygieneOptions());
        fetcher.Next.Enqueue(Text("8.8.8.8/32\n8.8.0.0/16\n45.154.244.193\n2001:4860::/32\n"));

        var state = await manager.RefreshAsync("test", default);

        var kept = state.Ranges.Select(r => r.ToString()).ToList();
        Assert.Contains("45.154.244.193", kept);
        Assert.Equal(3, state.Hygiene.KnownGood);
        Assert.Equal(keep ? 0 : 3, state.Hygiene.DroppedKnownGood);
        Assert.Equal(keep ? 4 : 1, kept.Count);
    }

    [Fact]
    public async Task LoadFromCache_AfterRestart_LastGoodInForce()
    {
        var (first, fetcher, _, cacheDir) = Create();
        fetcher.Next.Enqueue(Text(Ips(42), etag: "\"v7\""));
        await first.RefreshAsync("test", default);

        var (second, downFetcher, _, _) = Create(cacheDir: cacheDir);
        second.LoadFromCache();
        var state = second.Get("test");
        Assert.True(state.Loaded);
        Assert.True(state.FromCache);
        Assert.Equal(42, state.EntryCount);

        // The server is down: the cached data stays, and the next fetch still sends the validators.
        downFetcher.Next.Enqueue(FetchResult.Failure("connection refused"));
        var after = await second.RefreshAsync("test", default);
        Assert.Equal(42, after.EntryCount);
        Assert.Equal("\"v7\"", downFetcher.Validators[0]!.ETag);
    }

    [Fact]
    public async Task Compose_RequiredFeedNeverLoaded_MissingUntilLoaded()
    {
        var options = new FeedOptions { Name = "must", Format = "plain", Source = "https://x/", Required = true, Hygiene = false };
        var (manager, fetcher, _, _) = Create(options);
        var admin = new AdminLists([], [], [], GuardEnabled: true);
        Assert.Equal(["must"], PolicyComposer.Compose(admin, manager.States, 1).MissingRequiredFeeds);

        fetcher.Next.Enqueue(Text(Ips(3)));
        await manager.RefreshAsync("must", default);
        var snapshot = PolicyComposer.Compose(admin, manager.States, 2);
        Assert.Empty(snapshot.MissingRequiredFeeds);
        Assert.True(snapshot.BadIps.TryMatch(System.Net.IPAddress.Parse("198.51.0.1"), out var match));
        Assert.Equal("feed:must", match.Rule);
    }

    [Fact]
    public void NextDelay_Success_IntervalPlusAtMostTenPercentJitter()
    {
        var (manager, _, time, _) = Create(new FeedOptions { Name = "test", Source = "https://x/", Interval = TimeSpan.FromMinutes(10) });
        var scheduler = new FeedScheduler(manager, time, new Random(3));
        for (var i = 0; i < 50; i++)
        {
            var delay = scheduler.NextDelay(manager.Get("test") with { ConsecutiveFailures = 0 });
            Assert.InRange(delay, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(11));
        }
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(4, 240)]
    [InlineData(10, 600)]
    public void NextDelay_Failures_ExponentialBackoffCappedAtInterval(int failures, int seconds)
    {
        var (manager, _, time, _) = Create(new FeedOptions { Name = "test", Source = "https://x/", Interval = TimeSpan.FromMinutes(10) });
        var scheduler = new FeedScheduler(manager, time);
        Assert.Equal(TimeSpan.FromSeconds(seconds), scheduler.NextDelay(manager.Get("test") with { ConsecutiveFailures = failures }));
    }

    [Fact]
    public async Task Scheduler_FakeClock_RefreshesAtStartThenAfterInterval()
    {
        var (manager, fetcher, time, _) = Create(new FeedOptions { Name = "test", Format = "plain", Source = "https://x/", Interval = TimeSpan.FromMinutes(5), Hygiene = false });
        for (var i = 0; i < 5; i++)
        {
            fetcher.Next.Enqueue(Text(Ips(10 + i)));
        }

        var scheduler = new FeedScheduler(manager, time, new Random(1));
        using var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(stop.Token);
        await WaitUntil(() => manager.Get("test").Loaded);

        // Step the fake clock until the second fetch. Stepping (rather than one jump) stays right when
        // a loaded machine arms the scheduler's timer late: the fetch can then only come later, never
        // earlier. The upper bound (interval + 10 % jitter) is NextDelay's, tested above.
        var advanced = TimeSpan.Zero;
        while (fetcher.Validators.Count < 2 && advanced < TimeSpan.FromMinutes(30))
        {
            time.Advance(TimeSpan.FromSeconds(15));
            advanced += TimeSpan.FromSeconds(15);
            await Task.Delay(20);
        }

        Assert.Equal(2, fetcher.Validators.Count);
        Assert.True(advanced > TimeSpan.FromMinutes(5), $"refreshed after {advanced} of a 5-minute interval");
        await WaitUntil(() => manager.Get("test").EntryCount == 11);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
