namespace EgressGuard.Identity;

/// <summary>
/// A user's directory groups, cached:
/// 1. within <c>CacheTtl</c> of the last successful lookup: the cached groups;
/// 2. older: the cached groups at once, and one lookup in the background (never two for a user);
/// 3. the directory failing: the last known groups until <c>CacheTtl + Grace</c>, then unknown (fail closed);
/// 4. a user not cached yet: one lookup, waited for at most <c>Timeout</c>; failing, unknown.
/// Callers are synchronous (the admission step), so only step 4 ever waits.
/// </summary>
internal sealed partial class DirectoryGroupCache
{
    private readonly IGroupDirectory _directory;
    private readonly DirectoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Task<bool>> _lookups = new(StringComparer.OrdinalIgnoreCase);
    private int _failing;

    public DirectoryGroupCache(IGroupDirectory directory, DirectoryOptions options, TimeProvider time, ILogger logger)
    {
        _directory = directory;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public DirectoryGroups Get(string user)
    {
        if (_entries.TryGetValue(user, out var entry))
        {
            var age = _time.GetUtcNow() - entry.Fetched;
            if (age < _options.CacheTtl)
            {
                return new(entry.Groups, DirectoryGroupState.Known);
            }

            _ = Lookup(user);
            return age < _options.CacheTtl + _options.Grace
                ? new(entry.Groups, DirectoryGroupState.Stale)
                : new([], DirectoryGroupState.Unknown);
        }

        var lookup = Lookup(user);
        var done = lookup.Wait(_options.Timeout + TimeSpan.FromMilliseconds(250)) && lookup.Result;
        return done && _entries.TryGetValue(user, out entry)
            ? new(entry.Groups, DirectoryGroupState.Known)
            : new([], DirectoryGroupState.Unknown);
    }

    /// <summary>The one lookup running for <paramref name="user"/> (started if none); true when it stored fresh groups.</summary>
    private Task<bool> Lookup(string user)
    {
        if (_lookups.TryGetValue(user, out var running))
        {
            return running;
        }

        var source = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_lookups.TryAdd(user, source.Task))
        {
            return _lookups.TryGetValue(user, out running) ? running : Task.FromResult(false);
        }

        _ = Task.Run(async () =>
        {
            var stored = false;
            try
            {
                using var timeout = new CancellationTokenSource(_options.Timeout, _time);
                var groups = await _directory.LookupAsync(user, timeout.Token).WaitAsync(_options.Timeout, _time, timeout.Token);
                _entries[user] = new Entry(groups, _time.GetUtcNow());
                stored = true;
                if (Interlocked.Exchange(ref _failing, 0) == 1)
                {
                    LogRecovered(_logger);
                }
            }
#pragma warning disable CA1031 // any failure of the directory is an outage: keep the last known groups
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (Interlocked.Exchange(ref _failing, 1) == 0)
                {
                    LogFailed(_logger, user, ex.GetType().Name, ex.Message, _options.Grace);
                }
            }
            finally
            {
                _lookups.TryRemove(user, out _);
                source.SetResult(stored);
            }
        });
        return source.Task;
    }

    private sealed record Entry(IReadOnlyList<string> Groups, DateTimeOffset Fetched);

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "Directory lookup failed (for {User}): {Error}: {Message}; keeping each user's last known groups for {Grace} past their cache time, then group rules fail closed")]
    private static partial void LogFailed(ILogger logger, string user, string error, string message, TimeSpan grace);

    [LoggerMessage(EventId = 611, Level = LogLevel.Information, Message = "Directory lookups succeed again")]
    private static partial void LogRecovered(ILogger logger);
}
