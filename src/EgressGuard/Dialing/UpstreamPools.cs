using EgressGuard.Identity;

namespace EgressGuard.Dialing;

/// <summary>
/// One upstream connection pool per client identity for plain <c>http://</c> requests: the user
/// once authenticated, else the client's address. Connection-bound authentication (NTLM or
/// Negotiate to an intranet server authenticates the TCP connection, not the request) then never
/// carries one user's login over to another's request. Bounded: at most <see cref="Capacity"/>
/// pools; pools unused for the connection idle time are dropped (their connections are closed by
/// then anyway), and at the cap the least recently used goes. A pool in use when dropped is
/// disposed when its last request ends.
/// </summary>
internal sealed class UpstreamPools : IDisposable
{
    /// <summary>Most pools kept at once (identities active within the idle time); each is one idle <see cref="SocketsHttpHandler"/> when unused.</summary>
    public const int Capacity = 1024;

    private readonly Func<HttpMessageInvoker> _create;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idle;
    private readonly int _capacity;
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private DateTimeOffset _lastSweep;

    public UpstreamPools(Func<HttpMessageInvoker> create, TimeProvider time, TimeSpan idle, int capacity = Capacity)
    {
        _create = create;
        _time = time;
        _idle = idle;
        _capacity = capacity;
        _lastSweep = time.GetUtcNow();
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pools.Count;
            }
        }
    }

    /// <summary>The pool key: the user when authenticated (any address), else the canonical client address.</summary>
    public static string KeyOf(ClientIdentity identity) =>
        identity.User is { Length: > 0 } user ? "user:" + user
        : identity.Address is { } address ? "address:" + AddressNormalizer.Canonicalize(address)
        : "unknown";

    /// <summary>
    /// The identity's pool for one request; dispose the lease when the request is over.
    /// <paramref name="route"/> (the <see cref="Dialer.RouteName"/>, with a parent proxy) keeps one
    /// pool per route: connections are keyed by address alone, and a name in <c>Upstream:Direct</c>
    /// shares its address with names that go through the parent.
    /// </summary>
    public UpstreamPoolLease Rent(ClientIdentity identity, string? route = null)
    {
        var key = route is null ? KeyOf(identity) : KeyOf(identity) + " via:" + route;
        var now = _time.GetUtcNow();
        List<Pool>? dropped = null;
        Pool? pool;
        lock (_lock)
        {
            if (!_pools.TryGetValue(key, out pool))
            {
                if (_pools.Count >= _capacity || now - _lastSweep >= _idle)
                {
                    dropped = SweepLocked(now, atCapacity: _pools.Count >= _capacity);
                }

                pool = new Pool(_create());
                _pools[key] = pool;
            }

            pool.Users++;
            pool.LastUsed = now;
        }

        foreach (var old in dropped ?? [])
        {
            old.Invoker.Dispose();
        }

        return new UpstreamPoolLease(this, pool);
    }

    internal void Return(Pool pool)
    {
        bool dispose;
        lock (_lock)
        {
            pool.Users--;
            pool.LastUsed = _time.GetUtcNow();
            dispose = pool.Dropped && pool.Users == 0;
        }

        if (dispose)
        {
            pool.Invoker.Dispose();
        }
    }

    /// <summary>Drops the pools idle for longer than the idle time; at the cap with none idle, the least recently used one. Returns those to dispose now.</summary>
    private List<Pool> SweepLocked(DateTimeOffset now, bool atCapacity)
    {
        _lastSweep = now;
        var drop = _pools.Where(p => p.Value.Users == 0 && now - p.Value.LastUsed >= _idle).Select(p => p.Key).ToList();
        if (drop.Count == 0 && atCapacity)
        {
            drop.Add(_pools.MinBy(p => p.Value.LastUsed).Key);
        }

        var disposeNow = new List<Pool>();
        foreach (var key in drop)
        {
            _pools.Remove(key, out var pool);
            pool!.Dropped = true;
            if (pool.Users == 0)
            {
                disposeNow.Add(pool);
            }
        }

        return disposeNow;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var pool in _pools.Values)
            {
                pool.Invoker.Dispose();
            }

            _pools.Clear();
        }
    }

    internal sealed class Pool(HttpMessageInvoker invoker)
    {
        public HttpMessageInvoker Invoker { get; } = invoker;

        public int Users { get; set; }

        public DateTimeOffset LastUsed { get; set; }

        public bool Dropped { get; set; }
    }
}
