using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace EgressGuard.Rules;

/// <summary>The outcome of an edit or reload.</summary>
internal sealed record RulesChange(bool Applied, RuleSet? Rules, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, RulesDocument? Before = null)
{
    /// <summary>The shared store could not be reached: nothing changed anywhere (the API answers 503).</summary>
    public bool StoreUnavailable { get; init; }
}

/// <summary>
/// The rules file and its history. Loads and validates <c>Rules:File</c>; reloads it when it changes
/// (load → validate everything → swap, else keep the last good rules and log every error); applies
/// API edits one at a time to the latest rules, writes the file atomically (temp file, fsync,
/// rename) and keeps the last versions in a history folder for rollback.
/// </summary>
internal sealed partial class RulesStore : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Lenient = new() { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private readonly string _path;
    private readonly string _historyDirectory;
    private readonly int _historyLimit;
    private readonly Func<string, bool> _isKnownFeed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _edits = new(1, 1);
    private RuleSet _current = RuleSet.Default;
    private string? _lastContentHash;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;

    public RulesStore(string path, string historyDirectory, int historyLimit, Func<string, bool> isKnownFeed, TimeProvider time, ILogger logger)
    {
        _path = path;
        _historyDirectory = historyDirectory;
        _historyLimit = historyLimit;
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
    public void Watch()
    {
        var directory = System.IO.Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(directory))
        {
            return;
        }

        _debounce = _time.CreateTimer(_ => _ = ReloadAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(directory, System.IO.Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            EnableRaisingEvents = true,
        };
        _watcher.Changed += (_, _) => Poke();
        _watcher.Created += (_, _) => Poke();
        _watcher.Renamed += (_, _) => Poke();
        _watcher.Deleted += (_, _) => Poke();
    }

    private void Poke() => _debounce?.Change(TimeSpan.FromMilliseconds(250), Timeout.InfiniteTimeSpan);

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

            var content = await ReadAllTextAsync(_path).ConfigureAwait(false);
            if (Hash(content) == _lastContentHash)
            {
                return new RulesChange(false, Current, [], []);
            }

            var change = Compile(content, Current.Version + 1);
            if (change.Rules is null)
            {
                LogReloadRefused(_logger, _path, change.Errors.Count, string.Join("; ", change.Errors));
                return change;
            }

            _lastContentHash = Hash(content);
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

            var content = JsonSerializer.Serialize(document, Json);
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

    /// <summary>Commits to the shared store; null when committed, else why not (no errors: lost a race, the newest rules adopted).</summary>
    private async Task<RulesChange?> CommitSharedAsync(IRulesReplica replica, long version, string content)
    {
        try
        {
            if (await replica.TryCommitAsync(version, content).ConfigureAwait(false))
            {
                return null;
            }

            if (await replica.LatestAsync().ConfigureAwait(false) is { } latest)
            {
                AdoptLocked(latest.Content, latest.Version, force: false);
            }

            return new RulesChange(false, null, [], []);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new RulesChange(false, null, [$"the shared rules store is unavailable ({ex.Message}); nothing was changed, try again when it is back"], []) { StoreUnavailable = true };
        }
    }

    /// <summary>
    /// Takes rules committed elsewhere (another node, through the shared store): validated, written
    /// to the local copy, swapped, <see cref="Changed"/> raised. Versions not newer than the current
    /// one are ignored unless <paramref name="force"/> (at start, the fleet's rules win). An invalid
    /// version (say, a feed this node lacks) keeps the last good rules and is logged.
    /// </summary>
    public async Task<bool> AdoptAsync(string content, long version, bool force = false)
    {
        await _edits.WaitAsync().ConfigureAwait(false);
        try
        {
            return AdoptLocked(content, version, force);
        }
        finally
        {
            _edits.Release();
        }
    }

    private bool AdoptLocked(string content, long version, bool force)
    {
        if (version < Current.Version || (version == Current.Version && (!force || Hash(content) == _lastContentHash)))
        {
            return false;
        }

        var change = Compile(content, version);
        if (change.Rules is null)
        {
            LogReloadRefused(_logger, $"shared rules v{version}", change.Errors.Count, string.Join("; ", change.Errors));
            return false;
        }

        try
        {
            WriteLocalCopy(content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In force regardless: the local copy only serves a start while the store is down.
            LogLocalCopyFailed(_logger, _path, ex.Message);
        }

        Volatile.Write(ref _current, change.Rules);
        LogReloaded(_logger, $"shared rules", change.Rules.Version, change.Rules.Rules.Count);
        Changed?.Invoke(change.Rules);
        return true;
    }

    private void WriteLocalCopy(string content)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
        var temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
        _lastContentHash = Hash(content);
    }

    /// <summary>The stored versions, newest first: the fleet's when shared, else the local history folder.</summary>
    public async Task<IReadOnlyList<(long Version, DateTimeOffset Time)>> HistoryAsync() =>
        Replica is { } replica ? await replica.HistoryAsync(_historyLimit).ConfigureAwait(false) : History();

    /// <summary>The stored versions, newest first.</summary>
    public IReadOnlyList<(long Version, DateTimeOffset Time)> History()
    {
        if (!Directory.Exists(_historyDirectory))
        {
            return [];
        }

        return Directory.GetFiles(_historyDirectory, "rules-*.json")
            .Select(f => (Version: ParseVersion(f), Time: new DateTimeOffset(File.GetLastWriteTimeUtc(f), TimeSpan.Zero)))
            .Where(v => v.Version > 0)
            .OrderByDescending(v => v.Version)
            .ToList();
    }

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
            var file = System.IO.Path.Combine(_historyDirectory, $"rules-{version:D6}.json");
            content = File.Exists(file) ? await ReadAllTextAsync(file).ConfigureAwait(false) : null;
        }

        if (content is null)
        {
            return new RulesChange(false, null, [$"version {version} is not in the history"], []);
        }

        var document = JsonSerializer.Deserialize<RulesDocument>(content, Lenient) ?? new RulesDocument();
        return await EditAsync(_ => (document, null)).ConfigureAwait(false);
    }

    private RulesChange ReadAndCompile(long version)
    {
        var content = File.ReadAllText(_path);
        var change = Compile(content, version);
        if (change.Rules is not null)
        {
            _lastContentHash = Hash(content);
        }

        return change;
    }

    private RulesChange Compile(string content, long version)
    {
        RulesDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<RulesDocument>(content, Lenient);
        }
        catch (JsonException ex)
        {
            return new RulesChange(false, null, [$"{_path}: invalid JSON at line {ex.LineNumber + 1}: {ex.Message}"], []);
        }

        if (document is null)
        {
            return new RulesChange(false, null, [$"{_path}: expected {{ \"rules\": [ … ] }}"], []);
        }

        var result = RuleCompiler.Compile(document, _isKnownFeed, _time.GetUtcNow(), rejectExpired: false, version);
        return new RulesChange(result.Set is not null, result.Set, result.Errors, result.Warnings);
    }

    private async Task WriteAsync(string content)
    {
        // The file as it was before the first edit becomes version 1, so that it can be rolled back to.
        if (History().Count == 0 && File.Exists(_path))
        {
            Directory.CreateDirectory(_historyDirectory);
            File.Copy(_path, System.IO.Path.Combine(_historyDirectory, $"rules-{1:D6}.json"), overwrite: true);
        }

        var temp = _path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            await stream.WriteAsync(bytes).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
        _lastContentHash = Hash(content);

        Directory.CreateDirectory(_historyDirectory);
        var version = History().Select(h => h.Version).DefaultIfEmpty(0).Max() + 1;
        await File.WriteAllTextAsync(System.IO.Path.Combine(_historyDirectory, $"rules-{version:D6}.json"), content).ConfigureAwait(false);
        foreach (var old in History().Skip(_historyLimit))
        {
            File.Delete(System.IO.Path.Combine(_historyDirectory, $"rules-{old.Version:D6}.json"));
        }
    }

    private static async Task<string> ReadAllTextAsync(string path)
    {
        // The file may be mid-write by an editor: retry briefly on sharing violations.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await File.ReadAllTextAsync(path).ConfigureAwait(false);
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    private static long ParseVersion(string file)
    {
        var name = System.IO.Path.GetFileNameWithoutExtension(file);
        return long.TryParse(name.AsSpan("rules-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    private static string Hash(string content) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
        _edits.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Rules file {Path} not found: no admin rules (built-in entries only)")]
    private static partial void LogNoFile(ILogger logger, string path);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Rules reloaded from {Path}: v{Version}, {Count} entries")]
    private static partial void LogReloaded(ILogger logger, string path, long version, int count);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Rules file {Path} refused ({Count} error(s)), keeping the last good rules: {Errors}")]
    private static partial void LogReloadRefused(ILogger logger, string path, int count, string errors);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Local copy of the shared rules ({Path}) not written: {Error}")]
    private static partial void LogLocalCopyFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Rules file {Path} deleted: keeping the last good rules")]
    private static partial void LogFileDeleted(ILogger logger, string path);
}
