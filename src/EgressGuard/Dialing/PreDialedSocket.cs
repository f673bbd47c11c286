using System.Net;
using System.Net.Sockets;

namespace EgressGuard.Dialing;

/// <summary>
/// A socket the <see cref="Dialer"/> already connected to a checked address (an intercepted
/// CONNECT's), taken once by the first upstream connection to that same endpoint instead of
/// dialling again. Disposed with the tunnel if nothing took it.
/// </summary>
internal sealed class PreDialedSocket : IDisposable
{
    private readonly IPEndPoint _endpoint;
    private Socket? _socket;

    public PreDialedSocket(Socket socket, IPEndPoint endpoint)
    {
        _socket = socket;
        _endpoint = endpoint;
    }

    public IPEndPoint Endpoint => _endpoint;

    public Socket? TryTake(IPAddress address, int port) =>
        address.Equals(_endpoint.Address) && port == _endpoint.Port ? Interlocked.Exchange(ref _socket, null) : null;

    public void Dispose() => Interlocked.Exchange(ref _socket, null)?.Dispose();
}
