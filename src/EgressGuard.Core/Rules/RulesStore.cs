namespace EgressGuard.Rules;

/// <summary>
/// The rules file and its history. Loads and validates <c>Rules:File</c>; reloads it when it changes
/// (load → validate everything → swap, else keep the last good rules and log every error); applies
/// API edits one at a time to the latest rules, writes the file atomically (temp file, fsync,
/// rename) and keeps the last versions in a history folder for rollback.
/// </summary>
internal sealed partial class RulesStore : IDisposable
{
    private readonly string _path;
    private readonly RulesHistory _history;
    private readonly Func<string, bool> _isKnownFeed;
    private readonly Func<string, bool>? _isKnownParent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _edits = new(1, 1);
    private RuleSet _current = RuleSet.Default;
    private string? _lastContentHash;
    private RulesFileWatcher? _watcher;

    public RulesStore(string path, string historyDirectory, int historyLimit, Func<string, bool> isKnownFeed, TimeProvider time, ILogger logger, Func<string, bool>? isKnownParent = null)
    {
        _isKnownParent = isKnownParent;
        _path = path;
        _history = new RulesHistory(historyDirectory, historyLimit);
        _isKnownFeed = isKnownFeed;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after new rules are in force (file reload, API edit, rollback).</summary>
    public event Action<RuleSet>? Changed;

    public RuleSet Current => Volatile.Read(ref _current);

    /// <summary>
    /// The fleet's shared rules (null on a single node). When set, an edit is committed there first
    /// and refused when it cannot be; versions are the fleet's, the same on every node.
    /// </summary>
    public IRulesReplica? Replica { get; set; }

    public string Path => _path;

    /// <summary>The first load at start: a missing file means no admin rules; an invalid one is returned with every error.</summary>
    public RulesChange LoadInitial(long version = 1)
    {
        if (!File.Exists(_path))
        {
            LogNoFile(_logger, _path);
            return new RulesChange(true, Current, [], []);
        }

        var change = ReadAndCompile(version);
        if (change.Rules is not null)
        {
            Volatile.Write(ref _current, change.Rules);
        }

        return change;
    }

    /// <summary>Watches the file; changes are reloaded after a short quiet period.</summary>
    public void Watch() => _watcher = RulesFileWatcher.Start(_path, _time, () => _ = ReloadAsync());

    /// <summary>Re-reads the file; an invalid or deleted file keeps the last good rules.</summary>
    public async Task<RulesChange> ReloadAsync()
    {
        await _edits.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!File.Exists(_path))
            {
                LogFileDeleted(_logger, _path);
                return new RulesChange(false, Current, [$"{_path} was deleted; keeping the last good rules (v{Current.Version})"], []);
            }

            var content = await RulesFiles.ReadAllTextAsync(_path).ConfigureAwait(false);
            if (RulesText.Hash(content) == _lastContentHash)
            {
                return new RulesChange(false, Current, [], []);
            }

            var change = Compile(content, Current.Version + 1);
            if (change.Rules is null)
            {
                LogReloadRefused(_logger, _path, change.Errors.Count, string.Join("; ", change.Errors));
                return change;
            }

            _lastContentHash = RulesText.Hash(content);
            var before = Current.ToDocument();
            Volatile.Write(ref _current, change.Rules);
            LogReloaded(_logger, _path, change.Rules.Version, change.Rules.Rules.Count);
            Changed?.Invoke(change.Rules);
            return change with { Before = before };
        }
        finally
        {
            _edits.Release();
        }
    }

    /// <summary>
    /// Applies an edit to the latest rules. <paramref name="edit"/> gets a copy of the current
    /// document and returns the new one (or errors). Validated, written, swapped; or nothing changes.
    /// </summary>
    public Task<RulesChange> EditAsync(Func<RulesDocument, (RulesDocument? Document, string? Error)> edit, ISet<string>? rejectExpiredIds = null) =>
        EditAsync(edit, rejectExpiredIds, attempt: 0);

    private async Task<RulesChange> EditAsync(Func<RulesDocument, (RulesDocument? Document, string? Error)> edit, ISet<string>? rejectExpiredIds, int attempt)
    {
        await _edits.WaitAsync().ConfigureAwait(false);
        var released = false;
        try
        {
            var before = Current.ToDocument();
            var (document, error) = edit(Current.ToDocument());
            if (document is null)
            {
                return new RulesChange(false, null, [error ?? "edit refused"], []);
            }

            var content = RulesText.Serialize(document);
            var change = Compile(content, Current.Version + 1);
            var expired = change.Warnings.Where(w => rejectExpiredIds?.Any(id => w.StartsWith($"rule '{id}': expires", StringComparison.Ordinal)) == true).ToList();
            if (change.Rules is null || expired.Count > 0)
            {
                return new RulesChange(false, null, [.. change.Errors, .. expired.Select(w => w.Replace("; the rule no longer matches", string.Empty, StringComparison.Ordinal))], change.Warnings);
            }

            if (Replica is { } replica)
            {
                // Shared first: an edit that is not in the store would be undone by the next sync.
                if (await CommitSharedAsync(replica, change.Rules.Version, content).ConfigureAwait(false) is { } refused)
                {
                    if (refused.Errors.Count == 0 && attempt < 5)
                    {
                        // Another node committed this version first: take its rules and edit those.
                        _edits.Release();
                        released = true;
                        return await EditAsync(edit, rejectExpiredIds, attempt + 1).ConfigureAwait(false);
                    }

                    return refused.Errors.Count == 0 ? refused with { Errors = ["the rules kept changing on other nodes; try again"] } : refused;
                }
            }

            await WriteAsync(content).ConfigureAwait(false);
            Volatile.Write(ref _current, change.Rules);
            Changed?.Invoke(change.Rules);
            return change with { Before = before };
        }
        finally
        {
            if (!released)
            {
                _edits.Release();
            }
        }
    }

    /// <summary>The stored versions, newest first: the fleet's when shared, else the local history folder.</summary>
    public async Task<IReadOnlyList<(long Version, DateTimeOffset Time)>> HistoryAsync() =>
        Replica is { } replica ? await replica.HistoryAsync(_history.Limit).ConfigureAwait(false) : History();

    /// <summary>The stored versions, newest first.</summary>
    public IReadOnlyList<(long Version, DateTimeOffset Time)> History() => _history.List();

    /// <summary>Makes a stored version current again (as a new version).</summary>
    public async Task<RulesChange> RollbackAsync(long version)
    {
        string? content;
        if (Replica is { } replica)
        {
            try
            {
                content = await replica.ContentAsync(version).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new RulesChange(false, null, [$"the shared rules store is unavailable ({ex.Message}); nothing was changed"], []) { StoreUnavailable = true };
            }
        }
        else
        {
            content = await _history.ReadAsync(version).ConfigureAwait(false);
        }

        if (content is null)
        {
            return new RulesChange(false, null, [$"version {version} is not in the history"], []);
        }

        var document = RulesText.Deserialize(content) ?? new RulesDocument();
        return await EditAsync(_ => (document, null)).ConfigureAwait(false);
    }

    private RulesChange ReadAndCompile(long version)
    {
        var content = File.ReadAllText(_path);
        var change = Compile(content, version);
        if (change.Rules is not null)
        {
            _lastContentHash = RulesText.Hash(content);
        }

        return change;
    }

    private RulesChange Compile(string content, long version) =>
        RulesText.Compile(content, version, _path, _isKnownFeed, _time.GetUtcNow(), _isKnownParent);

    private async Task WriteAsync(string content)
    {
        _history.SeedFrom(_path);
        await RulesFiles.WriteAtomicAsync(_path, content).ConfigureAwait(false);
        _lastContentHash = RulesText.Hash(content);
        await _history.AddAsync(content).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _edits.Dispose();
    }
}
