using System.Threading.Channels;

namespace EgressGuard.Telemetry;

/// <summary>
/// One live reader of decisions (<c>GET /decisions/stream</c>): a bounded queue that drops its
/// oldest line when the reader falls behind, so a slow browser never holds the proxy path back.
/// Dispose to stop receiving.
/// </summary>
internal sealed class DecisionSubscription : IDisposable
{
    private readonly Channel<ProxyExchange> _queue;
    private readonly Action<DecisionSubscription> _unsubscribe;
    private long _dropped;

    public DecisionSubscription(int capacity, Action<DecisionSubscription> unsubscribe)
    {
        _unsubscribe = unsubscribe;
        _queue = Channel.CreateBounded<ProxyExchange>(
            new BoundedChannelOptions(Math.Max(capacity, 1)) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false },
            _ => Interlocked.Increment(ref _dropped));
    }

    public ChannelReader<ProxyExchange> Reader => _queue.Reader;

    /// <summary>Lines dropped because this reader was too slow.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Called on the proxy path: never blocks.</summary>
    public void Offer(ProxyExchange exchange) => _queue.Writer.TryWrite(exchange);

    public void Dispose()
    {
        _unsubscribe(this);
        _queue.Writer.TryComplete();
    }
}
