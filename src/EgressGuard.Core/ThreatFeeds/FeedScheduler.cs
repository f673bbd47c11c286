namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Refreshes each feed on its own schedule: at once on start, then every interval plus up to 10 %
/// jitter (so that many proxies do not hit a provider together); after a failure, retries with
/// exponential backoff from 30 s, never waiting longer than the interval. Time comes from
/// <see cref="TimeProvider"/>, so schedules are tested with a fake clock.
/// </summary>
internal sealed class FeedScheduler
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(30);

    private readonly FeedManager _manager;
    private readonly TimeProvider _time;
    private readonly Random _random;

    public FeedScheduler(FeedManager manager, TimeProvider time, Random? random = null)
    {
        _manager = manager;
        _time = time;
        _random = random ?? Random.Shared;
    }

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_manager.States.Select(s => RunFeedAsync(s.Name, cancellationToken)));

    /// <summary>The wait before the next refresh of a feed in <paramref name="state"/>.</summary>
    public TimeSpan NextDelay(FeedState state)
    {
        var interval = state.Options.Interval;
        if (state.ConsecutiveFailures > 0)
        {
            var backoff = FirstRetry * Math.Pow(2, Math.Min(state.ConsecutiveFailures - 1, 16));
            return backoff < interval ? backoff : interval;
        }

        return interval + (interval * (_random.NextDouble() * 0.1));
    }

    private async Task RunFeedAsync(string name, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            FeedState state;
            try
            {
                state = await _manager.RefreshAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(NextDelay(state), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
