namespace EgressGuard.Rules;

/// <summary>
/// Watches one file and calls back after a short quiet period: an editor's save is several events
/// (truncate, write, rename), and the file is read once they are over.
/// </summary>
internal sealed class RulesFileWatcher : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);

    private readonly ITimer _debounce;
    private readonly FileSystemWatcher _watcher;

    private RulesFileWatcher(string path, TimeProvider time, Action changed)
    {
        _debounce = time.CreateTimer(_ => changed(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            EnableRaisingEvents = true,
        };
        _watcher.Changed += (_, _) => Poke();
        _watcher.Created += (_, _) => Poke();
        _watcher.Renamed += (_, _) => Poke();
        _watcher.Deleted += (_, _) => Poke();
    }

    /// <summary>The watcher, or null when the file's folder does not exist (nothing to watch).</summary>
    public static RulesFileWatcher? Start(string path, TimeProvider time, Action changed) =>
        Directory.Exists(Path.GetDirectoryName(path)!) ? new RulesFileWatcher(path, time, changed) : null;

    private void Poke() => _debounce.Change(Quiet, Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce.Dispose();
    }
}
