using EgressGuard.Alerts;

namespace EgressGuard.Admin.Alerts;

/// <summary><c>GET /alerts</c> (recent alerts, filtered by source, destination and kind) and <c>GET /alerts/sinks</c> (delivery status).</summary>
internal static class AlertsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, AlertDispatcher dispatcher, AlertService alertService)
    {
        app.MapGet("/alerts", async (string? source, string? destination, string? kind, int? limit, CancellationToken cancellationToken) =>
        {
            // The fleet's alerts in fleet mode, else this node's: filtered on the one wire shape.
            IEnumerable<AlertDto> alerts = await alertService.RecentAsync(DateTimeOffset.MinValue, cancellationToken);
            if (source is not null)
            {
                alerts = alerts.Where(a => a.Source.Address == source || string.Equals(a.Source.User, source, StringComparison.OrdinalIgnoreCase));
            }

            if (destination is not null)
            {
                alerts = alerts.Where(a => string.Equals(a.Destination.Name, destination, StringComparison.OrdinalIgnoreCase) || a.Destination.Addresses.Contains(destination));
            }

            if (kind is not null)
            {
                alerts = alerts.Where(a => a.Kind == kind);
            }

            return Results.Json(alerts.Take(Math.Clamp(limit ?? 100, 1, 10_000)));
        });
        app.MapGet("/alerts/sinks", () => Results.Json(dispatcher.Status.Select(AlertSinkDto.From)));
    }
}
