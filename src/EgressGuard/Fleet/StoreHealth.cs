namespace EgressGuard.Fleet;

/// <summary>
/// Whether the shared store answers, as last seen by any fleet operation; reported in
/// <c>/readyz</c> and <c>/status</c>. Thread-safe.
/// </summary>
internal sealed class StoreHealth
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private bool _up = true;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private string? _lastError;
    private long _failures;

    public StoreHealth(TimeProvider time) => _time = time;

    public bool Up
    {
        get
        {
            lock (_gate)
            {
                return _up;
            }
        }
    }

    public string? LastError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _up = true;
            _lastSuccess = _time.GetUtcNow();
        }
    }

    /// <summary>Records a failure; true when the store was up until now (log once per outage).</summary>
    public bool Failed(string error)
    {
        lock (_gate)
        {
            var wasUp = _up;
            _up = false;
            _lastFailure = _time.GetUtcNow();
            _lastError = error;
            _failures++;
            return wasUp;
        }
    }

    /// <summary>The JSON shape for <c>/status</c> and <c>/readyz</c>.</summary>
    public object Json(string node, object? extra = null)
    {
        lock (_gate)
        {
            return new
            {
                kind = "postgres",
                node,
                state = _up ? "up" : "down",
                lastSuccess = _lastSuccess,
                lastFailure = _lastFailure,
                lastError = _up ? null : _lastError,
                failures = _failures,
                detail = extra,
            };
        }
    }
}
