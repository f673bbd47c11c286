using EgressGuard.Alerts;

namespace EgressGuard.Admin.Alerts;

/// <summary><c>GET /alerts</c> (recent alerts, filtered by source, destination and kind) and <c>GET /alerts/sinks</c> (delivery status).</summary>
internal static class AlertsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, AlertTracker tracker, AlertDispatcher dispatcher)
    {
        app.MapGet("/alerts", (string? source, string? destination, string? kind, int? limit) =>
        {
            IEnumerable<Alert> alerts = tracker.Recent();
            if (source is not null)
            {
                alerts = alerts.Where(a => a.SourceAddress?.ToString() == source || string.Equals(a.User, source, StringComparison.OrdinalIgnoreCase));
            }

            if (destination is not null)
            {
                alerts = alerts.Where(a => string.Equals(a.Destination, destination, StringComparison.OrdinalIgnoreCase) || a.ResolvedAddresses.Any(x => x.ToString() == destination));
            }

            if (kind is not null)
            {
                alerts = alerts.Where(a => a.Kind == kind);
            }

            return Results.Json(alerts.Take(Math.Clamp(limit ?? 100, 1, 10_000)).Select(AlertDto.From));
        });
        app.MapGet("/alerts/sinks", () => Results.Json(dispatcher.Status.Select(AlertSinkDto.From)));
    }
}
