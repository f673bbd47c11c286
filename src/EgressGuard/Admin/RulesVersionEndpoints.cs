using EgressGuard.Rules;

namespace EgressGuard.Admin;

/// <summary>
/// <c>GET /rules/history/{version}</c>: the rules of one stored version (<c>{ "rules": [ … ] }</c>), so
/// that a reader can compare it with another or with the current rules before rolling back.
/// </summary>
internal static class RulesVersionEndpoints
{
    public static void Map(WebApplication app, IServiceProvider services)
    {
        var store = services.GetRequiredService<RulesStore>();
        app.MapGet("/rules/history/{version:long}", async (long version) =>
            await store.ReadVersionAsync(version) is { } document
                ? Results.Json(document)
                : Results.Problem(statusCode: 404, title: "Not found", detail: $"version {version} is not in the history (or is not valid JSON)"));
    }
}
