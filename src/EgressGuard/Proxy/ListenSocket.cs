namespace EgressGuard.Proxy;

/// <summary>The listening sockets of the proxy, bound one way for the start's preflight and the listeners alike.</summary>
internal static class ListenSocket
{
    /// <summary>Binds a listening socket as the listeners do (dual-mode on <c>[::]</c>).</summary>
    public static Socket Bind(string key, IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endpoint.Address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true;
        }

        try
        {
            socket.Bind(endpoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ListenerBindException(key, endpoint, ex);
        }
    }
}
