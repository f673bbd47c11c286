using EgressGuard.Proxy;

namespace EgressGuard.Hosting;

/// <summary>
/// Gives a rebuilt policy's garbage back to the system (<c>Proxy:CompactMemoryAfter</c>). Building a
/// snapshot parses every list and feed and sorts them into a new index; the old index and the
/// parse buffers then sit in the heap, largely on the large-object heap, which an ordinary
/// collection neither compacts nor decommits. So once the policy has been quiet for the settle
/// time (bursts of edits coalesce, and requests decided under the old snapshot have finished),
/// one blocking aggressive collection compacts and decommits. At most one per
/// <see cref="MinimumInterval"/>; changes meanwhile are folded into the next one.
/// </summary>
internal sealed partial class HeapCompactor : BackgroundService
{
    /// <summary>Shortest time between two compactions, whatever the edit rate.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);

    private readonly TimeSpan _settle;
    private readonly TimeProvider _time;
    private readonly ILogger<HeapCompactor> _logger;
    private readonly SemaphoreSlim _changed = new(1, 1); // the start's own composition counts as a change

    public HeapCompactor(PolicyRecomposer recomposer, IOptions<ProxyOptions> options, TimeProvider time, ILogger<HeapCompactor> logger)
    {
        _settle = options.Value.CompactMemoryAfter;
        _time = time;
        _logger = logger;
        recomposer.PolicyChanged += _ => Signal();
    }

    /// <summary>Compactions done since start (tests wait on it).</summary>
    public int Runs { get; private set; }

    private void Signal()
    {
        if (_changed.CurrentCount == 0)
        {
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another change signalled first: one compaction covers both.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_settle <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (true)
            {
                await _changed.WaitAsync(stoppingToken).ConfigureAwait(false);

                // Settle: each change during the wait restarts it.
                do
                {
                    await Task.Delay(_settle, _time, stoppingToken).ConfigureAwait(false);
                }
                while (_changed.Wait(0, CancellationToken.None));

                Compact();
                await Task.Delay(MinimumInterval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Compact()
    {
        var heapBefore = GC.GetGCMemoryInfo().HeapSizeBytes;
        var rssBefore = Environment.WorkingSet;
        var pausedBefore = GC.GetTotalPauseDuration();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        Runs++;
        LogCompacted(_logger, heapBefore >> 20, GC.GetGCMemoryInfo().HeapSizeBytes >> 20, rssBefore >> 20, Environment.WorkingSet >> 20, paused.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Memory compacted after a policy change: heap {HeapBeforeMb} → {HeapAfterMb} MB, RSS {RssBeforeMb} → {RssAfterMb} MB, paused {PauseMs:F1} ms")]
    private static partial void LogCompacted(ILogger logger, long heapBeforeMb, long heapAfterMb, long rssBeforeMb, long rssAfterMb, double pauseMs);
}
