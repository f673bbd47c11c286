namespace EgressGuard.History;

/// <summary>
/// The investigation history in the host: opens the database under <c>Data:Directory</c>, runs the
/// writer loop, and takes each finished exchange from the proxy path as a small copy (never
/// waiting: a full queue drops and counts, reported in metrics and <c>/status</c>).
/// </summary>
internal sealed partial class HistoryService : BackgroundService
{
    private readonly HistoryOptions _options;
    private readonly HistoryWriter? _writer;

    public HistoryService(HistoryOptions options, DataOptions data, ConfigPaths paths, TimeProvider time, HistoryMetrics metrics, ILogger<HistoryService> logger, ISharedHistory? fleet = null)
    {
        _options = options;
        if (!options.Enabled)
        {
            return;
        }

        if (fleet is not null)
        {
            // Fleet mode: every node writes to and queries the shared history.
            Queries = fleet;
            _writer = new HistoryWriter(fleet, options, time, logger);
        }
        else
        {
            Store = new HistoryStore(Path.GetFullPath(options.File, paths.Resolve(data.Directory)));
            Queries = new HistoryQueries(Store);
            _writer = new HistoryWriter(Store, options, time, logger);
        }

        metrics.Observe(_writer);
    }

    /// <summary>The node's SQLite database (null in fleet mode or with the history off).</summary>
    public HistoryStore? Store { get; }

    /// <summary>Null when <c>History:Enabled</c> is false.</summary>
    public IHistoryQueries? Queries { get; }

    public HistoryWriter? Writer => _writer;

    public HistoryOptions Options => _options;

    public void Record(ProxyExchange x)
    {
        if (_writer is null)
        {
            return;
        }

        var d = x.Decision;
        _writer.Enqueue(new HistoryRecord
        {
            Time = x.Time,
            Client = x.Client?.Address,
            ClientPort = x.Client?.Port ?? 0,
            User = x.Identity.User,
            Groups = x.Identity.GroupList,
            Method = x.Method,
            Host = d?.Target?.Host,
            Port = d?.Target?.Port ?? 0,
            Addresses = d?.ResolvedAddresses ?? [],
            Cnames = d?.CanonicalNames ?? [],
            Dialed = x.Dialed?.Address,
            Decision = d is null ? "error" : DecisionLogFormatter.ActionName(d.Action),
            Reason = x.ReasonText,
            Rule = d?.Rule,
            Entry = d?.Entry,
            Feed = EgressGuardMetrics.FeedOf(d),
            Upstream = x.Upstream,
            Status = x.Status,
            BytesUp = x.BytesUp,
            BytesDown = x.BytesDown,
            DurationMs = x.Duration.TotalMilliseconds,
            TraceId = x.TraceId,
        });
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _writer is null ? Task.CompletedTask : Task.Run(() => _writer.RunAsync(stoppingToken), stoppingToken);

    public override void Dispose()
    {
        base.Dispose();
        Store?.Dispose();
    }
}
