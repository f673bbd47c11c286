using EgressGuard.Alerts;

namespace EgressGuard.Admin.Alerts;

/// <summary>One entry of <c>GET /alerts/sinks</c>: a webhook or syslog sink's deliveries and failures.</summary>
internal sealed record AlertSinkDto(
    string Name,
    bool Up,
    long Delivered,
    long Failures,
    long Dropped,
    int ConsecutiveFailures,
    DateTimeOffset? LastDelivered,
    DateTimeOffset? LastFailure,
    string? LastError)
{
    public static AlertSinkDto From(SinkStatus s) =>
        new(s.Name, s.Up, s.Delivered, s.Failures, s.DroppedCount, s.ConsecutiveFailures, s.LastDelivered, s.LastFailure, s.LastError);
}
