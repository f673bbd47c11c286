namespace EgressGuard.Admin.Health;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (every required feed is loaded); plain text, no token.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app, IPolicySource policySource, Fleet.FleetStatus fleetStatus, Fleet.FleetFeedStatus? sharedFeeds)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () =>
        {
            var missing = policySource.Current.MissingRequiredFeeds;
            // A store that is away does not make the node unready: it decides on the last good
            // rules and quarantine, which is what a load balancer needs to know. It is reported.
            return missing.Count == 0
                ? Results.Text("ready\n" + fleetStatus.ReadyLine())
                : Results.Problem(statusCode: 503, title: "Not ready", detail: $"required feed(s) not loaded: {string.Join(", ", missing)}", extensions: new Dictionary<string, object?> { ["store"] = fleetStatus.State });
        });
        app.MapGet("/fleet/feeds", async (CancellationToken cancellationToken) =>
            sharedFeeds is { } shared
                ? Results.Json(await shared.AllAsync(cancellationToken))
                : Results.Problem(statusCode: 404, title: "Not in fleet mode", detail: "set Store:Postgres to share state between nodes"));
    }
}
