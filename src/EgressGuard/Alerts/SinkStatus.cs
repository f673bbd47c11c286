namespace EgressGuard.Alerts;

/// <summary>How deliveries to one sink are going, for <c>GET /alerts/sinks</c>, <c>/status</c> and the up gauge.</summary>
internal sealed class SinkStatus
{
    private readonly Lock _gate = new();

    public SinkStatus(string name) => Name = name;

    public string Name { get; }

    public long Delivered { get; private set; }

    public long Failures { get; private set; }

    public long DroppedCount { get; private set; }

    public int ConsecutiveFailures { get; private set; }

    public DateTimeOffset? LastDelivered { get; private set; }

    public DateTimeOffset? LastFailure { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>False once the latest attempt failed, until a delivery works again.</summary>
    public bool Up => ConsecutiveFailures == 0;

    public void Succeeded(DateTimeOffset now)
    {
        lock (_gate)
        {
            Delivered++;
            ConsecutiveFailures = 0;
            LastDelivered = now;
        }
    }

    public void Failed(DateTimeOffset now, string error)
    {
        lock (_gate)
        {
            Failures++;
            ConsecutiveFailures++;
            LastFailure = now;
            LastError = error;
        }
    }

    public void Dropped()
    {
        lock (_gate)
        {
            DroppedCount++;
        }
    }
}
