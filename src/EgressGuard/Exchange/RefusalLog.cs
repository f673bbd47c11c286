using EgressGuard.History;
using Microsoft.Extensions.Hosting;

namespace EgressGuard.Exchange;

/// <summary>
/// The decision lines (and history rows) of refusals made before anything is parsed — an untrusted
/// client, a connection over the caps — which is what a scan or a flood produces, one per
/// connection. Per client address and reason, per <c>Log:RefusalWindow</c>:
/// 1. the first refusal is written at once (<c>egressguard.refusals: 1</c>) and opens a window;
/// 2. later ones are only counted;
/// 3. when the window ends with some counted, the last of them is written carrying the count, and a
///    new window starts; a window that ends with none is forgotten.
/// Metrics and spans still see every refusal. Past <see cref="MaxSources"/> addresses in a window,
/// further addresses share one window per reason, written without a client address. When the host
/// starts stopping, the windows are written out and later refusals are written one by one, so a
/// count is never lost with the process (the decision log and history drain after this).
/// </summary>
internal sealed class RefusalLog : IDisposable
{
    /// <summary>Addresses tracked at once; bounds memory under a scan from many addresses.</summary>
    public const int MaxSources = 10_000;

    private static readonly IPAddress Others = IPAddress.IPv6None;

    private readonly ConcurrentDictionary<(IPAddress Address, string Reason), Window> _windows = new();
    private readonly DecisionLog _log;
    private readonly HistoryService _history;
    private readonly ITimer? _timer;
    private volatile bool _draining;

    public RefusalLog(IOptions<LogOptions> options, DecisionLog log, HistoryService history, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        _log = log;
        _history = history;
        var window = options.Value.RefusalWindow;
        if (window > TimeSpan.Zero)
        {
            _timer = time.CreateTimer(_ => Sweep(), null, window, window);
        }

        // ApplicationStopping fires before any hosted service stops: the decision log's and the
        // history's queues still take what is flushed here.
        lifetime.ApplicationStopping.Register(Flush);
    }

    /// <summary>Refusals counted and not yet written.</summary>
    public int Pending => _windows.Values.Sum(w => w.Count);

    public void Record(ProxyExchange exchange)
    {
        if (_timer is null || exchange.Client is null || _draining)
        {
            Write(exchange);
            return;
        }

        var key = (exchange.Client.Address, exchange.ErrorType ?? "-");
        while (true)
        {
            if (_windows.TryGetValue(key, out var window))
            {
                if (window.TryCount(exchange))
                {
                    return;
                }

                // Closed by a sweep that found it empty: open a new one.
                _windows.TryRemove(new KeyValuePair<(IPAddress, string), Window>(key, window));
                continue;
            }

            if (key.Address != Others && _windows.Count >= MaxSources)
            {
                key = (Others, key.Item2);
                continue;
            }

            if (_windows.TryAdd(key, new Window()))
            {
                exchange.Refusals = 1;
                Write(key.Address == Others ? Anonymous(exchange, 1) : exchange);
                return;
            }
        }
    }

    /// <summary>The end of a window (on the timer): one line per window with refusals counted.</summary>
    internal void Sweep()
    {
        foreach (var (key, window) in _windows)
        {
            if (window.TakeOrClose() is not { } taken)
            {
                _windows.TryRemove(new KeyValuePair<(IPAddress, string), Window>(key, window));
                continue;
            }

            taken.Last.Refusals = taken.Count;
            Write(key.Address == Others ? Anonymous(taken.Last, taken.Count) : taken.Last);
        }
    }

    /// <summary>At stop: every window's counted refusals written now; no aggregation from here on.</summary>
    internal void Flush()
    {
        _draining = true;
        _timer?.Dispose();
        Sweep();
        // A refusal counted between the sweep and the flag is still in a window: sweep once more.
        Sweep();
    }

    private void Write(ProxyExchange exchange)
    {
        _log.Write(exchange);
        _history.Record(exchange);
    }

    /// <summary>The line for the shared window: no client address, since it stands for many.</summary>
    private static ProxyExchange Anonymous(ProxyExchange x, int count) => new()
    {
        Time = x.Time,
        StartTimestamp = x.StartTimestamp,
        Method = x.Method,
        TraceId = x.TraceId,
        Status = x.Status,
        ErrorType = x.ErrorType,
        Duration = x.Duration,
        Refusals = count,
    };

    public void Dispose() => _timer?.Dispose();

    private sealed class Window
    {
        private readonly Lock _gate = new();
        private ProxyExchange? _last;
        private int _count;
        private bool _closed;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _count;
                }
            }
        }

        public bool TryCount(ProxyExchange exchange)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return false;
                }

                _last = exchange;
                _count++;
                return true;
            }
        }

        /// <summary>The refusals counted since the last take (and a fresh count), or null and closed when none.</summary>
        public (ProxyExchange Last, int Count)? TakeOrClose()
        {
            lock (_gate)
            {
                if (_count == 0)
                {
                    _closed = true;
                    return null;
                }

                var taken = (_last!, _count);
                _last = null;
                _count = 0;
                return taken;
            }
        }
    }
}
