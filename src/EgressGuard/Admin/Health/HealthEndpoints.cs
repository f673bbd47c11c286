using EgressGuard.Policy;

namespace EgressGuard.Admin.Health;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (every required feed is loaded); plain text, no token.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app, IPolicySource policySource)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () =>
        {
            var missing = policySource.Current.MissingRequiredFeeds;
            return missing.Count == 0
                ? Results.Text("ready\n")
                : Results.Problem(statusCode: 503, title: "Not ready", detail: $"required feed(s) not loaded: {string.Join(", ", missing)}");
        });
    }
}
