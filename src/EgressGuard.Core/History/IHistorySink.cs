namespace EgressGuard.History;

/// <summary>Where <see cref="HistoryWriter"/> puts its batches: the node's SQLite file, or the fleet's PostgreSQL.</summary>
internal interface IHistorySink
{
    /// <summary>
    /// A failed batch is kept and retried with backoff (the queue meanwhile fills, then drops and
    /// counts) rather than dropped at once: true for a store that comes back (a network database).
    /// </summary>
    bool RetryFailedBatches { get; }

    /// <summary>Writes a batch (all or nothing); throws on failure.</summary>
    void Write(IReadOnlyList<HistoryRecord> batch);

    /// <summary>Deletes what is older than <paramref name="before"/> (and, where the sink has a size cap, beyond <paramref name="maxBytes"/>); returns how much went.</summary>
    long Prune(DateTimeOffset before, long maxBytes);
}
