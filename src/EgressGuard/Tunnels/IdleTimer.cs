namespace EgressGuard.Tunnels;

/// <summary>
/// Fires once when nothing was touched for the idle timeout. One timer per tunnel, re-armed lazily
/// (a touch only writes a timestamp), so the pump's hot loop pays one volatile write per read.
/// </summary>
internal sealed class IdleTimer : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Action _onIdle;
    private readonly ITimer _timer;
    private long _last;

    public IdleTimer(TimeProvider time, TimeSpan timeout, Action onIdle)
    {
        _time = time;
        _timeout = timeout;
        _onIdle = onIdle;
        _last = time.GetTimestamp();
        _timer = time.CreateTimer(static s => ((IdleTimer)s!).Check(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    public void Touch() => Volatile.Write(ref _last, _time.GetTimestamp());

    private void Check()
    {
        var idle = _time.GetElapsedTime(Volatile.Read(ref _last));
        if (idle >= _timeout)
        {
            _onIdle();
            return;
        }

        try
        {
            _timer.Change(_timeout - idle, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The tunnel ended while the timer fired.
        }
    }

    public void Dispose() => _timer.Dispose();
}
