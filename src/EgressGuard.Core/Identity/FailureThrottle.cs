using System.Collections.Concurrent;

namespace EgressGuard.Identity;

/// <summary>
/// Failed authentications per client address: <c>Auth:MaxFailures</c> within <c>Auth:FailureWindow</c>
/// block the address for one window. A password check is counted before it runs
/// (<see cref="TryBegin"/>): while checks are in flight they count as failures, so parallel wrong
/// passwords from one address start at most <c>MaxFailures</c> hashes, and the rest are throttled
/// without hashing. A success clears the address.
/// </summary>
internal sealed class FailureThrottle(AuthOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, FailureWindow> _windows = new(StringComparer.Ordinal);

    public bool IsBlocked(string client) =>
        _windows.TryGetValue(client, out var window) && window.IsBlocked(time.GetTimestamp());

    /// <summary>Counts a check about to run; null when the address has no attempt left (throttle it, do not hash).</summary>
    public FailureWindow? TryBegin(string client)
    {
        while (true)
        {
            var window = _windows.GetOrAdd(client, _ => new FailureWindow(options, time));
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
            var window = _windows.GetOrAdd(client, _ => new FailureWindow(options, time));
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
}
