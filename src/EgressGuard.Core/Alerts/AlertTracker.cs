using System.Security.Cryptography;

namespace EgressGuard.Alerts;

/// <summary>
/// Deduplicates alerts per source address + destination name within <see cref="AlertOptions.DedupWindow"/>
/// (counted from the alert's first attempt) and keeps the most recent ones for the API. Thread-safe;
/// bounded in memory (expired windows are pruned; past 100,000 open windows the oldest go first).
/// </summary>
internal sealed class AlertTracker
{
    private const int MaxOpen = 100_000;

    private readonly TimeSpan _window;
    private readonly int _keep;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<(IPAddress? Source, string Destination), Alert> _open = [];
    private readonly Queue<(IPAddress? Source, string Destination)> _openOrder = new();
    private readonly LinkedList<string> _recentOrder = new();
    private readonly Dictionary<string, Alert> _recent = new(StringComparer.Ordinal);
    private DateTimeOffset _nextPrune;

    public AlertTracker(AlertOptions options, TimeProvider time)
    {
        _window = options.DedupWindow;
        _keep = options.Keep;
        _time = time;
    }

    /// <summary>
    /// Records an attempt. Returns the alert as it now stands and whether it is new (to be delivered)
    /// or a repeat within the window (count and last-seen updated, not re-delivered).
    /// </summary>
    public (Alert Alert, bool IsNew) Observe(Alert candidate)
    {
        var now = _time.GetUtcNow();
        var key = (candidate.SourceAddress, candidate.Destination);
        lock (_gate)
        {
            PruneIfDue(now);
            if (_open.TryGetValue(key, out var open) && now - open.FirstSeen < _window)
            {
                var updated = open with { Count = open.Count + 1, LastSeen = now };
                _open[key] = updated;
                if (_recent.ContainsKey(updated.Id))
                {
                    // Only while it is still listed: a repeat must not bring back an evicted alert.
                    _recent[updated.Id] = updated;
                }

                return (updated, false);
            }

            var alert = candidate with { Id = NewId(now), FirstSeen = now, LastSeen = now, Count = 1 };
            while (_open.Count >= MaxOpen && _openOrder.TryDequeue(out var oldest))
            {
                // Windows open in time order: the queue's head is the oldest still open (or already pruned).
                _open.Remove(oldest);
            }

            _open[key] = alert;
            _openOrder.Enqueue(key);
            Remember(alert);
            return (alert, true);
        }
    }

    /// <summary>Records an alert raised elsewhere (a retro-hunt finding): no dedup, kept for the API.</summary>
    public Alert Raise(Alert candidate)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var alert = candidate with { Id = NewId(now) };
            Remember(alert);
            return alert;
        }
    }

    /// <summary>The most recent alerts, newest first, as they stand now.</summary>
    public IReadOnlyList<Alert> Recent()
    {
        lock (_gate)
        {
            return _recentOrder.Select(id => _recent[id]).ToList();
        }
    }

    private void Remember(Alert alert)
    {
        _recent[alert.Id] = alert;
        _recentOrder.AddFirst(alert.Id);
        while (_recentOrder.Count > _keep)
        {
            _recent.Remove(_recentOrder.Last!.Value);
            _recentOrder.RemoveLast();
        }
    }

    private void PruneIfDue(DateTimeOffset now)
    {
        if (now < _nextPrune)
        {
            return;
        }

        _nextPrune = now + _window;
        foreach (var (key, alert) in _open.Where(p => now - p.Value.FirstSeen >= _window).ToList())
        {
            _open.Remove(key);
        }

        if (_openOrder.Count > 2 * (_open.Count + 1))
        {
            // Drop the order entries of pruned windows so the queue stays as bounded as the map.
            var live = _openOrder.Where(_open.ContainsKey).Distinct().ToList();
            _openOrder.Clear();
            foreach (var key in live)
            {
                _openOrder.Enqueue(key);
            }
        }
    }

    /// <summary>A fresh id (retried on the rare collision with one still listed).</summary>
    private string NewId(DateTimeOffset now)
    {
        while (true)
        {
            var id = $"a-{now:yyyyMMdd}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
            if (!_recent.ContainsKey(id))
            {
                return id;
            }
        }
    }
}
