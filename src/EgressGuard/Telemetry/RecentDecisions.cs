namespace EgressGuard.Telemetry;

/// <summary>
/// The last N decisions in memory for <c>GET /decisions</c>: a fixed ring written with one
/// interlocked increment per request, no lock, no allocation. Live readers
/// (<see cref="Subscribe"/>) get each decision as it is added; with none, that costs one read.
/// </summary>
internal sealed class RecentDecisions
{
    private readonly ProxyExchange?[] _ring;
    private readonly Lock _subscribersLock = new();
    private DecisionSubscription[] _subscribers = [];
    private long _next = -1;

    public RecentDecisions(int capacity) => _ring = new ProxyExchange?[Math.Max(capacity, 0)];

    public void Add(ProxyExchange exchange)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Offer(exchange);
        }

        if (_ring.Length == 0)
        {
            return;
        }

        var index = Interlocked.Increment(ref _next);
        Volatile.Write(ref _ring[index % _ring.Length], exchange);
    }

    /// <summary>Newest first.</summary>
    public IEnumerable<ProxyExchange> Newest()
    {
        var last = Volatile.Read(ref _next);
        for (var i = 0L; i < _ring.Length && last - i >= 0; i++)
        {
            if (Volatile.Read(ref _ring[(last - i) % _ring.Length]) is { } exchange)
            {
                yield return exchange;
            }
        }
    }

    /// <summary>A live reader of every decision added from now on; dispose it to stop.</summary>
    public DecisionSubscription Subscribe(int capacity)
    {
        var subscription = new DecisionSubscription(capacity, Unsubscribe);
        lock (_subscribersLock)
        {
            // Copy on write: the proxy path reads the array without a lock.
            Volatile.Write(ref _subscribers, [.. _subscribers, subscription]);
        }

        return subscription;
    }

    private void Unsubscribe(DecisionSubscription subscription)
    {
        lock (_subscribersLock)
        {
            Volatile.Write(ref _subscribers, _subscribers.Where(s => s != subscription).ToArray());
        }
    }
}
