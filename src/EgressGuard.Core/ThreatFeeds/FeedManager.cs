namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Keeps every configured feed fresh without ever enforcing a broken download. A refresh:
/// 1. fetches (conditional: unchanged data costs nothing);
/// 2. parses; an HTML page, invalid JSON or mostly-garbage text is rejected as a whole;
/// 3. applies the shrink guard against the last healthy load (independent of hygiene);
/// 4. applies hygiene (when enabled for the feed);
/// 5. swaps the feed's state in one reference exchange, records the entry count in <see cref="History"/>
/// and persists the download to the cache;
/// 6. raises <see cref="Changed"/> so that the policy is recomposed.
/// Any failure keeps the last good data in force and is recorded in the feed's status.
/// </summary>
internal sealed partial class FeedManager : IDisposable
{
    private readonly Dictionary<string, int> _index;
    private readonly FeedState[] _states;
    private readonly FeedHygiene _hygiene;
    private readonly IFeedFetcher _fetcher;
    private readonly FeedCache? _cache;
    private readonly string _baseDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim[] _refreshLocks;
    private readonly SemaphoreSlim _statusLock = new(1, 1);

    public FeedManager(IReadOnlyList<FeedOptions> feeds, FeedHygiene hygiene, IFeedFetcher fetcher, FeedCache? cache, string baseDirectory, TimeProvider time, ILogger logger)
    {
        var enabled = feeds.Where(f => f.Enabled).ToList();
        _states = enabled.Select(f => new FeedState { Options = f }).ToArray();
        _index = enabled.Select((f, i) => (f.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        _refreshLocks = enabled.Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        _hygiene = hygiene;
        _fetcher = fetcher;
        _cache = cache;
        _baseDirectory = baseDirectory;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after a feed's data in force changed (not on unchanged or failed refreshes).</summary>
    public event Action<FeedState>? Changed;

    /// <summary>Each feed's entry count at every successful load (refresh or cache), persisted beside the cache.</summary>
    public FeedHistory History { get; } = new();

    /// <summary>Every enabled feed's current state, in configuration order.</summary>
    public IReadOnlyList<FeedState> States => Enumerable.Range(0, _states.Length).Select(i => Volatile.Read(ref _states[i])).ToList();

    public FeedState Get(string name) => Volatile.Read(ref _states[_index[name]]);

    /// <summary>Loads each feed's last good download from the cache, before the first refresh.</summary>
    public void LoadFromCache()
    {
        if (_cache is null)
        {
            return;
        }

        History.Restore(_cache.LoadHistory(), _index.Keys);
        foreach (var name in _index.Keys)
        {
            var state = Get(name);
            if (_cache.TryLoad(name) is not { } entry)
            {
                continue;
            }

            try
            {
                var data = FeedParser.Parse(entry.Text, ParseFormat(state.Options), name, state.Options.MinCount);
                var applied = Apply(state, data, new FetchValidators(entry.ETag, entry.LastModified), entry.FetchedAt) with { FromCache = true };
                Set(name, applied);

                // Only a first start with this feed: otherwise the saved series already ends with this load.
                if (History.IsEmpty(name))
                {
                    Record(applied, entry.FetchedAt);
                }

                LogCacheLoaded(_logger, name, applied.EntryCount, entry.FetchedAt);
            }
            catch (FeedRejectedException ex)
            {
                LogCacheUnreadable(_logger, name, ex.Message);
            }
        }
    }

    public async Task<FeedState> RefreshAsync(string name, CancellationToken cancellationToken)
    {
        var gate = _refreshLocks[_index[name]];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        FeedState result;
        try
        {
            result = await RefreshLockedAsync(name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        await WriteStatusAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task WriteStatusAsync(CancellationToken cancellationToken)
    {
        if (_cache is null)
        {
            return;
        }

        await _statusLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _cache.WriteStatusAsync(States, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            await _cache.WriteHistoryAsync(History.Snapshot(), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            LogCacheWriteFailed(_logger, "status", ex.Message);
        }
        finally
        {
            _statusLock.Release();
        }
    }

    private async Task<FeedState> RefreshLockedAsync(string name, CancellationToken cancellationToken)
    {
        var state = Get(name);
        var now = _time.GetUtcNow();

        // 1. Fetch.
        var fetched = await _fetcher.FetchAsync(state.Options, _baseDirectory, state.Loaded ? state.Validators : null, cancellationToken).ConfigureAwait(false);
        if (fetched.Status == FetchStatus.Failed)
        {
            return Fail(state, now, fetched.Error!);
        }

        if (fetched.Status == FetchStatus.NotModified)
        {
            var unchanged = state with { LastAttempt = now, LastSuccess = now, LastError = null, ConsecutiveFailures = 0 };
            Set(name, unchanged);
            Record(unchanged, now);
            LogNotModified(_logger, name);
            return unchanged;
        }

        // 2. Parse.
        FeedData data;
        try
        {
            data = FeedParser.Parse(fetched.Text!, ParseFormat(state.Options), name, state.Options.MinCount);
        }
        catch (FeedRejectedException ex)
        {
            return Fail(state, now, "rejected: " + ex.Message);
        }

        if (state.Options.Format.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            LogFormatDetected(_logger, name, FeedFormats.Name(data.Format));
        }

        // 3. Shrink guard: a healthy feed does not lose most of its entries, or all of them, at once.
        if (state.Loaded && state.HealthyCount > 0)
        {
            var floor = state.HealthyCount * (1 - state.Options.ShrinkGuard);
            if (data.EntryCount == 0 || data.EntryCount < floor)
            {
                return Fail(state, now, $"shrink guard: {data.EntryCount} entries against {state.HealthyCount} last time (more than {state.Options.ShrinkGuard:P0} lost); keeping the last good data");
            }
        }

        // 4–5. Hygiene, swap, persist.
        var applied = Apply(state, data, new FetchValidators(fetched.ETag, fetched.LastModified), now) with { LastAttempt = now };
        Set(name, applied);
        Record(applied, now);
        if (_cache is not null)
        {
            try
            {
                await _cache.SaveAsync(name, new FeedCacheEntry(fetched.Text!, fetched.ETag, fetched.LastModified, now), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                LogCacheWriteFailed(_logger, name, ex.Message);
            }
        }

        LogApplied(_logger, name, applied.EntryCount, data.EntryCount, data.Invalid, applied.Version ?? "-", applied.Hygiene.ToString());
        foreach (var problem in data.Problems.Take(3))
        {
            LogProblem(_logger, name, problem.ToString());
        }

        foreach (var sample in applied.Hygiene.KnownGoodSamples)
        {
            LogKnownGood(_logger, name, sample, applied.Hygiene.DroppedKnownGood > 0 ? "entry dropped (Hygiene:DropKnownGood)" : "entry kept (Hygiene:DropKnownGood is false)");
        }

        // 6. Tell the policy.
        Changed?.Invoke(applied);
        return applied;
    }

    private FeedState Apply(FeedState state, FeedData data, FetchValidators validators, DateTimeOffset fetchedAt)
    {
        var (ranges, report) = _hygiene.Apply(data.Ranges, full: state.Options.Hygiene);
        return state with
        {
            Ranges = ranges,
            Domains = data.Domains,
            HealthyCount = data.EntryCount,
            Format = data.Format,
            Version = data.Version,
            LoadedAt = fetchedAt,
            FromCache = false,
            Validators = validators,
            LastSuccess = fetchedAt,
            LastError = null,
            ConsecutiveFailures = 0,
            Invalid = data.Invalid,
            Hygiene = report,
        };
    }

    private FeedState Fail(FeedState state, DateTimeOffset now, string error)
    {
        var failed = state with { LastAttempt = now, LastError = error, ConsecutiveFailures = state.ConsecutiveFailures + 1 };
        Set(state.Name, failed);
        LogFailed(_logger, state.Name, error, state.Loaded ? $"keeping {state.EntryCount} entries from {state.LoadedAt:u}" : "feed has never loaded");
        return failed;
    }

    public void Dispose()
    {
        _statusLock.Dispose();
        foreach (var gate in _refreshLocks)
        {
            gate.Dispose();
        }
    }

    private void Record(FeedState state, DateTimeOffset at) =>
        History.Record(state.Name, new FeedHistoryPoint(at, state.EntryCount, state.Hygiene.Dropped));

    private void Set(string name, FeedState state) => Volatile.Write(ref _states[_index[name]], state);

    private static FeedFormat ParseFormat(FeedOptions options) =>
        FeedFormats.TryParse(options.Format, out var format) ? format : FeedFormat.Auto;
}
