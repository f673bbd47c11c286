namespace EgressGuard.Identity;

/// <summary>
/// Failed authentications per client address: <c>Auth:MaxFailures</c> within <c>Auth:FailureWindow</c>
/// block the address for one window. A password check is counted before it runs
/// (<see cref="TryBegin"/>): while checks are in flight they count as failures, so parallel wrong
/// passwords from one address start at most <c>MaxFailures</c> hashes, and the rest are throttled
/// without hashing. A success clears the address.
/// Memory is bounded: past <see cref="MaxAddresses"/> addresses, windows that are over are
/// forgotten; if every tracked window is still live (a spray from more addresses than that within
/// one window), a further address is checked without a window — its hashes are still capped by the
/// hash gate's concurrency, so neither memory nor CPU grows with the number of addresses.
/// </summary>
internal sealed class FailureThrottle(AuthOptions options, TimeProvider time)
{
    /// <summary>Addresses tracked at once.</summary>
    public const int MaxAddresses = 100_000;

    private readonly ConcurrentDictionary<string, FailureWindow> _windows = new(StringComparer.Ordinal);
    private readonly Lock _sweepGate = new();
    private long _lastSweep;

    /// <summary>Addresses with a window now.</summary>
    public int Tracked => _windows.Count;

    public bool IsBlocked(string client) =>
        _windows.TryGetValue(client, out var window) && window.IsBlocked(time.GetTimestamp());

    /// <summary>Counts a check about to run; null when the address has no attempt left (throttle it, do not hash).</summary>
    public FailureWindow? TryBegin(string client)
    {
        while (true)
        {
            var window = Window(client);
            switch (window.TryBegin(time.GetTimestamp()))
            {
                case FailureWindow.Outcome.Begun:
                    return window;
                case FailureWindow.Outcome.Refused:
                    return null;
                default:
                    continue; // retired by a concurrent success: take the fresh one
            }
        }
    }

    /// <summary>A failed attempt (<paramref name="begun"/> is its <see cref="TryBegin"/> ticket, null when nothing was hashed); returns the failures in the window.</summary>
    public int Fail(string client, FailureWindow? begun)
    {
        var now = time.GetTimestamp();
        if (begun is not null)
        {
            return begun.Fail(now, wasPending: true);
        }

        while (true)
        {
            var window = Window(client);
            if (window.Fail(now, wasPending: false) is var count and > 0)
            {
                return count;
            }
        }
    }

    /// <summary>A success clears the address's failures (and forgets it once nothing is in flight).</summary>
    public void Succeed(string client, FailureWindow? begun)
    {
        var window = begun;
        if (window is null && !_windows.TryGetValue(client, out window))
        {
            return;
        }

        if (window.Succeed(wasPending: begun is not null))
        {
            _windows.TryRemove(new KeyValuePair<string, FailureWindow>(client, window));
        }
    }

    /// <summary>The address's window; past the bound, over windows are swept first, and an untracked one is lent when none can go.</summary>
    private FailureWindow Window(string client)
    {
        if (_windows.TryGetValue(client, out var window))
        {
            return window;
        }

        if (_windows.Count >= MaxAddresses)
        {
            Sweep();
            if (_windows.Count >= MaxAddresses)
            {
                return new FailureWindow(options, time);
            }
        }

        return _windows.GetOrAdd(client, _ => new FailureWindow(options, time));
    }

    /// <summary>Forgets windows that are over (nothing in flight, no block); at most once a second, since it walks them all.</summary>
    internal void Sweep()
    {
        var now = time.GetTimestamp();
        lock (_sweepGate)
        {
            if (_lastSweep != 0 && time.GetElapsedTime(_lastSweep, now) < TimeSpan.FromSeconds(1))
            {
                return;
            }

            _lastSweep = now;
        }

        foreach (var (client, window) in _windows)
        {
            if (window.TryRetireIdle(now))
            {
                _windows.TryRemove(new KeyValuePair<string, FailureWindow>(client, window));
            }
        }
    }
}
