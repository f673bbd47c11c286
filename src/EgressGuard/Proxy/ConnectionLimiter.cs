namespace EgressGuard.Proxy;

/// <summary>
/// Caps open client connections (plain HTTP and tunnels alike), globally and optionally per client
/// address. A client over a cap gets <c>503</c> with reason <c>too-many-connections</c> and is closed
/// before anything is parsed. Per-address caps are off by default: a corporate NAT puts many users
/// behind one address.
/// </summary>
internal sealed class ConnectionLimiter
{
    private readonly int _max;
    private readonly int _perClient;
    private readonly ConcurrentDictionary<IPAddress, int> _byClient = new();
    private readonly ConcurrentDictionary<IPAddress, RateWindow> _rates = new();
    private readonly int _ratePerSecond;
    private readonly TimeProvider _time;
    private int _open;

    public ConnectionLimiter(ProxyOptions options, TimeProvider? time = null)
    {
        _max = options.MaxConnections;
        _perClient = options.MaxConnectionsPerClient;
        _ratePerSecond = options.MaxNewConnectionsPerClientPerSecond;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Counts a new connection from <paramref name="client"/> against the per-second rate; false
    /// when over it (off when the rate is 0).
    /// </summary>
    public bool TryAdmitRate(IPAddress? client)
    {
        if (_ratePerSecond <= 0 || client is null)
        {
            return true;
        }

        if (_rates.Count > 100_000)
        {
            _rates.Clear(); // bounded: a scan from many addresses must not grow this without end
        }

        var window = _rates.GetOrAdd(client, static _ => new RateWindow());
        return window.Admit(_time.GetTimestamp(), _time, _ratePerSecond);
    }

    private sealed class RateWindow
    {
        private readonly Lock _gate = new();
        private long _start;
        private int _count;

        public bool Admit(long now, TimeProvider time, int limit)
        {
            lock (_gate)
            {
                if (time.GetElapsedTime(_start, now) >= TimeSpan.FromSeconds(1))
                {
                    _start = now;
                    _count = 0;
                }

                return ++_count <= limit;
            }
        }
    }

    public int Open => Volatile.Read(ref _open);

    /// <summary>Takes a slot; false when a cap is reached (nothing taken).</summary>
    public bool TryAcquire(IPAddress? client)
    {
        if (Interlocked.Increment(ref _open) > _max)
        {
            Interlocked.Decrement(ref _open);
            return false;
        }

        if (_perClient > 0 && client is not null)
        {
            var count = _byClient.AddOrUpdate(client, 1, static (_, n) => n + 1);
            if (count > _perClient)
            {
                Release(client);
                return false;
            }
        }

        return true;
    }

    public void Release(IPAddress? client)
    {
        Interlocked.Decrement(ref _open);
        if (_perClient > 0 && client is not null)
        {
            var count = _byClient.AddOrUpdate(client, 0, static (_, n) => n - 1);
            if (count <= 0)
            {
                _byClient.TryRemove(new KeyValuePair<IPAddress, int>(client, count));
            }
        }
    }
}
