using EgressGuard.Rules;

namespace EgressGuard.Fleet;

/// <summary>
/// On the node that owns the rules file (<c>Store:RulesFileOwner</c>): watches <c>Rules:File</c>
/// and commits each valid change to the fleet like an API edit. A change made while the store is
/// down is kept and committed when it is back (logged, never dropped silently).
/// </summary>
internal sealed partial class FleetRulesFileImport : IFleetParticipant, IHostedService, IDisposable
{
    private readonly RulesStore _file;
    private readonly RulesStore _shared;
    private readonly ILogger<FleetRulesFileImport> _logger;
    private RulesDocument? _pending;

    /// <param name="isKnownFeed">Whether a name is a configured feed (rules may name feeds).</param>
    /// <param name="isKnownParent">Whether a name is a configured parent proxy (rules may choose one).</param>
    public FleetRulesFileImport(RulesOptions rules, DataOptions data, Func<string, bool> isKnownFeed, Func<string, bool> isKnownParent, ConfigPaths paths, RulesStore shared, TimeProvider time, ILogger<FleetRulesFileImport> logger)
    {
        _shared = shared;
        _logger = logger;
        _file = new RulesStore(paths.Resolve(rules.File), Path.Combine(paths.Resolve(data.Directory), "rules-file-history"), 1, isKnownFeed, time, logger, isKnownParent);
    }

    /// <summary>Reads and watches the rules file with the host's start (not in the constructor: factories do no I/O).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _file.LoadInitial();
        _file.Changed += OnFileChanged;
        _file.Watch();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _file.Changed -= OnFileChanged;
        return Task.CompletedTask;
    }

    private void OnFileChanged(RuleSet rules)
    {
        Volatile.Write(ref _pending, rules.ToDocument());
        _ = ImportAsync();
    }

    public Task SyncAsync(bool atStart, CancellationToken cancellationToken) =>
        Volatile.Read(ref _pending) is null ? Task.CompletedTask : ImportAsync();

    private async Task ImportAsync()
    {
        if (Interlocked.Exchange(ref _pending, null) is not { } document)
        {
            return;
        }

        var change = await _shared.EditAsync(_ => (document, null)).ConfigureAwait(false);
        if (change.Applied)
        {
            LogImported(_logger, _file.Path, change.Rules!.Version);
            return;
        }

        if (change.StoreUnavailable)
        {
            // Kept for the next sync unless a newer edit of the file replaced it meanwhile.
            Interlocked.CompareExchange(ref _pending, document, null);
        }

        LogNotImported(_logger, _file.Path, string.Join("; ", change.Errors));
    }

    public void Dispose() => _file.Dispose();

    [LoggerMessage(EventId = 1830, Level = LogLevel.Information, Message = "Store: rules file {Path} committed to the fleet as v{Version}")]
    private static partial void LogImported(ILogger logger, string path, long version);

    [LoggerMessage(EventId = 1831, Level = LogLevel.Error, Message = "Store: rules file {Path} not committed to the fleet yet: {Errors}")]
    private static partial void LogNotImported(ILogger logger, string path, string errors);
}
