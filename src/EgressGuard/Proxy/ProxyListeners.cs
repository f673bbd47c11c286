namespace EgressGuard.Proxy;

/// <summary>
/// Every proxy listener configured, in configuration order, and the endpoint each was bound to
/// (a port 0 is only known after the bind). Kestrel hands <see cref="ProxyListenerFactory"/> the
/// endpoint alone, so this is where the factory learns which entry it binds: its key for the
/// bind error and whether TLS comes first (then no plaintext CONNECT can be peeked at accept).
/// </summary>
internal sealed class ProxyListeners(IReadOnlyList<ProxyListener> listeners)
{
    private readonly ConcurrentDictionary<int, IPEndPoint> _bound = new();

    public IReadOnlyList<ProxyListener> All => listeners;

    /// <summary>The entry configured with this endpoint; validation refuses duplicates, so there is one.</summary>
    public int IndexOf(IPEndPoint endpoint)
    {
        for (var i = 0; i < listeners.Count; i++)
        {
            if (listeners[i].Endpoint.Equals(endpoint))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{endpoint} is not a configured Proxy:Listen entry");
    }

    public void Bound(int index, IPEndPoint actual) => _bound[index] = actual;

    /// <summary>The endpoint entry <paramref name="index"/> listens on, its real port once bound.</summary>
    public IPEndPoint BoundEndpoint(int index) => _bound.TryGetValue(index, out var actual) ? actual : listeners[index].Endpoint;
}
