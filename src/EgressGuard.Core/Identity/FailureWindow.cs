namespace EgressGuard.Identity;

/// <summary>One address's failures and checks in flight (see <see cref="FailureThrottle"/>).</summary>
internal sealed class FailureWindow(AuthOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _start;
    private int _failures;
    private int _pending;
    private long _blockedUntil;
    private bool _retired;

    public enum Outcome
    {
        Begun,
        Refused,
        Retired,
    }

    public bool IsBlocked(long now)
    {
        lock (_gate)
        {
            return now < _blockedUntil;
        }
    }

    public Outcome TryBegin(long now)
    {
        lock (_gate)
        {
            if (_retired)
            {
                return Outcome.Retired;
            }

            Roll(now);
            if (now < _blockedUntil || _failures + _pending >= options.MaxFailures)
            {
                return Outcome.Refused;
            }

            _pending++;
            return Outcome.Begun;
        }
    }

    /// <summary>Returns the failures in the window, or 0 when this window was retired (record on a fresh one).</summary>
    public int Fail(long now, bool wasPending)
    {
        lock (_gate)
        {
            if (wasPending)
            {
                _pending--;
            }
            else if (_retired)
            {
                return 0;
            }

            Roll(now);
            _failures++;
            if (_failures >= options.MaxFailures)
            {
                _blockedUntil = now + (long)(options.FailureWindow.TotalSeconds * time.TimestampFrequency);
            }

            return _failures;
        }
    }

    /// <summary>The check did not run (no free hash slot): neither a failure nor a success.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _pending--;
        }
    }

    /// <summary>Clears the failures; true when nothing is in flight and the window can be forgotten.</summary>
    public bool Succeed(bool wasPending)
    {
        lock (_gate)
        {
            if (wasPending)
            {
                _pending--;
            }

            _failures = 0;
            _blockedUntil = 0;
            _retired = _pending == 0;
            return _retired;
        }
    }

    /// <summary>Retires the window when it is over, nothing is in flight and no block holds (a sweep may forget it).</summary>
    public bool TryRetireIdle(long now)
    {
        lock (_gate)
        {
            var over = time.GetElapsedTime(_start, now) > options.FailureWindow && now >= _blockedUntil;
            if (_retired || _pending > 0 || !over)
            {
                return _retired;
            }

            _retired = true;
            return true;
        }
    }

    /// <summary>A new window once the last one is over, or once a block has ended.</summary>
    private void Roll(long now)
    {
        var blockEnded = _blockedUntil != 0 && now >= _blockedUntil;
        if (blockEnded || time.GetElapsedTime(_start, now) > options.FailureWindow)
        {
            _start = now;
            _failures = 0;
            _blockedUntil = 0;
        }
    }
}
