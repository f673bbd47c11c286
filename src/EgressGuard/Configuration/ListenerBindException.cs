namespace EgressGuard.Configuration;

/// <summary>
/// A listener that could not bind: which setting, which address, why. Program turns it into one
/// line and exit code 2, like invalid configuration, instead of an unhandled exception (SIGABRT).
/// </summary>
internal sealed class ListenerBindException : IOException
{
    public ListenerBindException(string key, IPEndPoint endpoint, SocketException inner)
        : base($"{key} = {endpoint}: cannot listen: {Reason(inner)}", inner)
    {
        Key = key;
        Endpoint = endpoint;
    }

    public ListenerBindException()
    {
        Key = string.Empty;
        Endpoint = new IPEndPoint(IPAddress.None, 0);
    }

    public ListenerBindException(string message)
        : base(message)
    {
        Key = string.Empty;
        Endpoint = new IPEndPoint(IPAddress.None, 0);
    }

    public ListenerBindException(string message, Exception inner)
        : base(message, inner)
    {
        Key = string.Empty;
        Endpoint = new IPEndPoint(IPAddress.None, 0);
    }

    public string Key { get; }

    public IPEndPoint Endpoint { get; }

    private static string Reason(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "address already in use (another process listens there)",
        SocketError.AccessDenied => "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
        SocketError.AddressNotAvailable => "address not available (not an address of this machine)",
        _ => ex.Message,
    };
}
