using EgressGuard.Dialing;
using EgressGuard.Identity;

namespace EgressGuard.Forwarding.Lean;

/// <summary>
/// Idle keep-alive upstream connections of the lean forwarder, keyed like the YARP path's pools
/// (<see cref="UpstreamPools"/>): the client identity, the route (direct or the parent proxy) and
/// the approved address and port. A connection is only ever taken for a request whose current
/// decision approved that same address, on behalf of the same user or client address (so an
/// NTLM/Negotiate login bound to a connection never serves someone else). Idle connections older
/// than the idle time or the lifetime are closed when met, and by a sweep at most once per idle time.
/// </summary>
internal sealed class LeanPool : IDisposable
{
    /// <summary>Idle time after which a pooled connection is closed: the YARP path's handlers use the same.</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(60);

    /// <summary>Most idle connections kept per key; more are closed on return.</summary>
    public const int MaxIdlePerKey = 256;

    private readonly ConcurrentDictionary<string, ConcurrentStack<LeanConnection>> _idle = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private long _lastSweep;
    private int _sweeping;

    public LeanPool(TimeProvider time, TimeSpan lifetime)
    {
        _time = time;
        _lifetime = lifetime;
        _lastSweep = time.GetTimestamp();
    }

    public static string KeyOf(ClientIdentity identity, string? route, System.Net.IPEndPoint endpoint) =>
        string.Concat(UpstreamPools.KeyOf(identity), " via:", route ?? "direct", " to:", endpoint.ToString());

    /// <summary>An idle connection for the key that is still fit to carry a request; null when there is none.</summary>
    public LeanConnection? TryTake(string key)
    {
        if (!_idle.TryGetValue(key, out var stack))
        {
            return null;
        }

        var now = _time.GetTimestamp();
        while (stack.TryPop(out var connection))
        {
            if (Fresh(connection, now) && connection.LooksIdle())
            {
                return connection;
            }

            connection.Close();
        }

        return null;
    }

    /// <summary>Keeps a connection whose last response was read to its end, for the next request with the same key.</summary>
    public void Return(string key, LeanConnection connection)
    {
        var now = _time.GetTimestamp();
        connection.LastUsed = now;
        connection.Reused = true;
        var stack = _idle.GetOrAdd(key, static _ => new ConcurrentStack<LeanConnection>());
        if (stack.Count >= MaxIdlePerKey || _time.GetElapsedTime(connection.Created, now) >= _lifetime)
        {
            connection.Close();
        }
        else
        {
            stack.Push(connection);

            // A sweep may have removed this key's stack meanwhile (it was empty when it looked):
            // what is pushed onto a removed stack would never be taken or closed.
            if (!_idle.TryGetValue(key, out var current) || !ReferenceEquals(current, stack))
            {
                CloseAll(stack);
            }
        }

        if (_time.GetElapsedTime(Interlocked.Read(ref _lastSweep), now) >= Idle
            && Interlocked.CompareExchange(ref _sweeping, 1, 0) == 0)
        {
            try
            {
                Sweep(now);
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        }
    }

    /// <summary>Idle connections held, all keys together (tests, status).</summary>
    public int IdleCount => _idle.Values.Sum(s => s.Count);

    private static void CloseAll(ConcurrentStack<LeanConnection> stack)
    {
        while (stack.TryPop(out var connection))
        {
            connection.Close();
        }
    }

    private bool Fresh(LeanConnection connection, long now) =>
        _time.GetElapsedTime(connection.LastUsed, now) < Idle && _time.GetElapsedTime(connection.Created, now) < _lifetime;

    /// <summary>
    /// Closes the idle connections past their time, and forgets keys left with none. One sweep at a
    /// time. A Return racing the removal of its key's stack either pushed before the drain below
    /// (closed here) or sees the stack gone after its push (closed there): nothing is left on a
    /// stack no one can reach.
    /// </summary>
    private void Sweep(long now)
    {
        Interlocked.Exchange(ref _lastSweep, now);
        foreach (var (key, stack) in _idle)
        {
            var keep = new List<LeanConnection>();
            while (stack.TryPop(out var connection))
            {
                if (Fresh(connection, now))
                {
                    keep.Add(connection);
                }
                else
                {
                    connection.Close();
                }
            }

            keep.Reverse();
            foreach (var connection in keep)
            {
                stack.Push(connection);
            }

            if (stack.IsEmpty && _idle.TryRemove(new KeyValuePair<string, ConcurrentStack<LeanConnection>>(key, stack)))
            {
                CloseAll(stack);
            }
        }
    }

    public void Dispose()
    {
        foreach (var stack in _idle.Values)
        {
            CloseAll(stack);
        }

        _idle.Clear();
    }
}
