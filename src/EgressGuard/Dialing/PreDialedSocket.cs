namespace EgressGuard.Dialing;

/// <summary>
/// A socket the <see cref="Dialer"/> already connected to a checked address (an intercepted
/// CONNECT's), taken once by the tunnel's first upstream connection to that same endpoint instead
/// of dialling again — unless it has sat idle too long or the server has closed it (servers drop
/// connections that send nothing: a client that preconnects and waits would get a 502). Disposed
/// with the tunnel if nothing took it.
/// </summary>
internal sealed class PreDialedSocket : IDisposable
{
    /// <summary>Older than this, the socket is not trusted to be open any more: a fresh one is dialled.</summary>
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(2);

    private readonly IPEndPoint _endpoint;
    private readonly long _connectedAt;
    private readonly TimeProvider _time;
    private Socket? _socket;

    /// <param name="connectedAt">The <paramref name="time"/> timestamp when the connect completed.</param>
    public PreDialedSocket(Socket socket, IPEndPoint endpoint, long connectedAt, TimeProvider time)
    {
        _socket = socket;
        _endpoint = endpoint;
        _connectedAt = connectedAt;
        _time = time;
    }

    public Socket? TryTake(IPAddress address, int port)
    {
        if (!address.Equals(_endpoint.Address) || port != _endpoint.Port || Interlocked.Exchange(ref _socket, null) is not { } socket)
        {
            return null;
        }

        try
        {
            // Readable with nothing to read = the server closed it (nothing was ever sent on it).
            var closed = socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            if (!closed && _time.GetElapsedTime(_connectedAt) <= MaxIdle)
            {
                return socket;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
        return null;
    }

    public void Dispose() => Interlocked.Exchange(ref _socket, null)?.Dispose();
}
