using EgressGuard.Alerts;
using EgressGuard.Storage;

namespace EgressGuard.Admin.Alerts;

/// <summary><c>GET /alerts</c> (recent alerts, filtered by source, destination and kind) and <c>GET /alerts/sinks</c> (delivery status).</summary>
internal static class AlertsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, AlertTracker tracker, AlertDispatcher dispatcher, AlertService alertService)
    {
        app.MapGet("/alerts", async (string? source, string? destination, string? kind, int? limit, CancellationToken cancellationToken) =>
        {
            if (alertService.Replica is { } shared)
            {
                try
                {
                    // The fleet's alerts; filtered here on the API's JSON shape.
                    var rows = await shared.RecentAsync(DateTimeOffset.MinValue, 10_000, cancellationToken);
                    var found = rows.Where(a =>
                        (source is null || (string?)a["source"]?["address"] == source || string.Equals((string?)a["source"]?["user"], source, StringComparison.OrdinalIgnoreCase))
                        && (destination is null || string.Equals((string?)a["destination"]?["name"], destination, StringComparison.OrdinalIgnoreCase) || a["destination"]?["addresses"]?.AsArray().Any(x => (string?)x == destination) == true)
                        && (kind is null || (string?)a["kind"] == kind));
                    return Results.Json(found.Take(Math.Clamp(limit ?? 100, 1, 10_000)));
                }
                catch (StoreUnavailableException)
                {
                    // Store away: this node's own recent alerts are better than none.
                }
            }

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
