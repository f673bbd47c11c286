using System.Threading.Channels;

namespace EgressGuard.History;

/// <summary>
/// Takes records from the proxy path without ever waiting (a bounded queue: when the writer falls
/// behind, new records are dropped and counted) and writes them in batches, one transaction each,
/// on its own loop; prunes by age and size every 10 minutes.
/// </summary>
internal sealed partial class HistoryWriter
{
    private const int MaxBatch = 2000;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly IHistorySink _store;
    private readonly HistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<HistoryRecord> _queue;
    // Reused by every batch: a fresh dictionary of ~2,000 large structs per batch would land on the
    // large-object heap several times a second and bring on full collections.
    private readonly Dictionary<FoldKey, HistoryRecord> _fold = [];
    private readonly List<HistoryRecord> _folded = [];
    private long _dropped;
    private long _written;

    // A batch the sink refused, kept for a retry (only for sinks that come back).
    private List<HistoryRecord>? _failed;

    public HistoryWriter(IHistorySink store, HistoryOptions options, TimeProvider time, ILogger logger)
    {
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<HistoryRecord>(
            new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records waiting in the queue (and in a batch kept for a retry).</summary>
    public long Queued => _queue.Reader.Count + (Volatile.Read(ref _failed)?.Sum(r => r.Count) ?? 0);

    public void Enqueue(HistoryRecord record) => _queue.Writer.TryWrite(record);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<HistoryRecord>(MaxBatch);
        var nextPrune = _time.GetUtcNow();
        var reader = _queue.Reader;
        var backoff = TimeSpan.FromSeconds(1);
        try
        {
            while (true)
            {
                if (_failed is not null)
                {
                    // The sink is away: wait, retry the kept batch, and only then take more from the queue.
                    await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                    if (!TryWriteFailed())
                    {
                        backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
                        continue;
                    }

                    backoff = TimeSpan.FromSeconds(1);
                }

                if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                // Let a batch gather for up to FlushInterval: one transaction for many records.
                await Task.Delay(_options.FlushInterval, _time, cancellationToken).ConfigureAwait(false);
                Drain(reader, batch);
                if (_time.GetUtcNow() >= nextPrune)
                {
                    nextPrune = _time.GetUtcNow() + PruneEvery;
                    Prune();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        // Stopping: what is queued is still written (once more for a kept batch; then it counts as dropped).
        if (_failed is not null && !TryWriteFailed())
        {
            Interlocked.Add(ref _dropped, _failed.Sum(r => r.Count));
            _failed = null;
        }

        Drain(reader, batch);
        if (_failed is not null)
        {
            Interlocked.Add(ref _dropped, _failed.Sum(r => r.Count));
            _failed = null;
        }
    }

    private bool TryWriteFailed()
    {
        try
        {
            _store.Write(_failed!);
            Interlocked.Add(ref _written, _failed!.Sum(r => r.Count));
            Volatile.Write(ref _failed, null);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRetryFailed(_logger, _failed!.Count, ex.Message);
            return false;
        }
    }

    private void Drain(ChannelReader<HistoryRecord> reader, List<HistoryRecord> batch)
    {
        while (_failed is null)
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            if (batch.Count == 0)
            {
                return;
            }

            var folded = Fold(batch, _fold, _folded);
            try
            {
                _store.Write(folded);
                Interlocked.Add(ref _written, batch.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && _store.RetryFailedBatches)
            {
                // Kept (a copy: the fold buffers are reused) and retried with backoff by the loop.
                Volatile.Write(ref _failed, folded.ToList());
                LogRetryFailed(_logger, folded.Count, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Never fatal: the records are counted as dropped (the decision log has them).
                Interlocked.Add(ref _dropped, batch.Count);
                LogWriteFailed(_logger, batch.Count, ex.Message);
            }
        }
    }

    /// <summary>
    /// Folds identical requests of a batch into one row with a count: a keep-alive client polling the
    /// same API 500 times a second costs one row per flush, not 500. What an investigation asks
    /// (who, to what, when, how often, how much) survives; every single request stays in the decision log.
    /// </summary>
    internal static IReadOnlyList<HistoryRecord> Fold(IReadOnlyList<HistoryRecord> batch) => Fold(batch, [], []);

    private static IReadOnlyList<HistoryRecord> Fold(IReadOnlyList<HistoryRecord> batch, Dictionary<FoldKey, HistoryRecord> folded, List<HistoryRecord> result)
    {
        if (batch.Count < 2)
        {
            return batch;
        }

        folded.Clear();
        foreach (var r in batch)
        {
            var key = new FoldKey(r.ClientKey, r.User, r.Method, r.Host, r.Port, r.Addresses.Count > 0 ? r.Addresses[0] : null, r.Addresses.Count, r.Dialed, r.Decision, r.Reason, r.Rule, r.Entry, r.Upstream);
            folded[key] = folded.TryGetValue(key, out var seen)
                ? seen with
                {
                    Time = r.Time < seen.Time ? r.Time : seen.Time,
                    LastTime = Max(seen.LastTime ?? seen.Time, r.LastTime ?? r.Time),
                    Count = seen.Count + r.Count,
                    BytesUp = seen.BytesUp + r.BytesUp,
                    BytesDown = seen.BytesDown + r.BytesDown,
                    DurationMs = Math.Max(seen.DurationMs, r.DurationMs),
                    Status = r.Status,
                }
                : r;
        }

        if (folded.Count == batch.Count)
        {
            return batch;
        }

        result.Clear();
        result.AddRange(folded.Values);
        return result;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    // Groups are not part of the key: they follow the user (one cache entry), so requests folded
    // within one flush carry the same groups; a record would compare the lists by reference anyway.
    private readonly record struct FoldKey(
        (byte Kind, UInt128 Number) Client, string? User, string Method, string? Host, int Port, System.Net.IPAddress? FirstAddress, int Addresses,
        System.Net.IPAddress? Dialed, string Decision, string? Reason, string? Rule, string? Entry, string? Upstream);

    private void Prune()
    {
        try
        {
            var deleted = _store.Prune(_time.GetUtcNow() - _options.Retention, _options.MaxBytes);
            if (deleted > 0)
            {
                LogPruned(_logger, deleted);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogWriteFailed(_logger, 0, ex.Message);
        }
    }

    [LoggerMessage(EventId = 960, Level = LogLevel.Error, Message = "History: could not write {Count} record(s), dropped: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 962, Level = LogLevel.Warning, Message = "History: {Count} record(s) not written yet, retrying with backoff: {Error}")]
    private static partial void LogRetryFailed(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 961, Level = LogLevel.Information, Message = "History: {Deleted} old row(s) pruned (retention and size limit)")]
    private static partial void LogPruned(ILogger logger, long deleted);
}
