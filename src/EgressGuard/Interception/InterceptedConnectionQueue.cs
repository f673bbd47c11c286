using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace EgressGuard.Interception;

/// <summary>
/// Decrypted connections of intercepted tunnels on their way to Kestrel's HTTP pipeline. A raw
/// CONNECT runs outside Kestrel (<c>Proxy.ProxyConnectionListener</c>), so its decrypted side must
/// be accepted by a Kestrel listener like a new connection: tunnels enqueue here, listeners take
/// from here. An explicit queue, so that nothing calls back into the listener that started it.
/// </summary>
internal sealed class InterceptedConnectionQueue
{
    private readonly Channel<ConnectionContext> _queue = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });
    private int _readers;

    /// <summary>Hands a decrypted connection to the HTTP pipeline; false when no listener takes connections any more (stopping).</summary>
    public bool TryEnqueue(InterceptedConnection connection) =>
        Volatile.Read(ref _readers) > 0 && _queue.Writer.TryWrite(connection);

    /// <summary>A listener that will take connections from <see cref="Reader"/> until it calls <see cref="Detach"/>.</summary>
    public ChannelReader<ConnectionContext> Attach()
    {
        Interlocked.Increment(ref _readers);
        return _queue.Reader;
    }

    public void Detach() => Interlocked.Decrement(ref _readers);
}
