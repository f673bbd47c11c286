namespace EgressGuard.Telemetry;

/// <summary>
/// The last N decisions in memory for <c>GET /decisions</c>: a fixed ring written with one
/// interlocked increment per request, no lock, no allocation.
/// </summary>
internal sealed class RecentDecisions
{
    private readonly ProxyExchange?[] _ring;
    private long _next = -1;

    public RecentDecisions(int capacity) => _ring = new ProxyExchange?[Math.Max(capacity, 0)];

    public void Add(ProxyExchange exchange)
    {
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
}
