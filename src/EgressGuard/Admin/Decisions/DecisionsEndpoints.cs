namespace EgressGuard.Admin.Decisions;

/// <summary>
/// <c>GET /decisions</c>: the newest decisions kept in memory, filtered by action, client and destination. Each is
/// written exactly as its decision log line, so the API and the log never disagree on a field.
/// </summary>
internal static class DecisionsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RecentDecisions recent)
    {
        app.MapGet("/decisions", (string? decision, string? client, string? destination, int? limit) =>
        {
            var items = recent.Newest()
                .Where(x => decision is null || string.Equals(x.Decision is null ? "error" : DecisionLogFormatter.ActionName(x.Decision.Action), decision, StringComparison.OrdinalIgnoreCase))
                .Where(x => client is null || x.Client?.Address.ToString() == client)
                .Where(x => destination is null || (x.Decision?.Target?.Host ?? x.RawTarget ?? string.Empty).Contains(destination, StringComparison.OrdinalIgnoreCase))
                .Take(Math.Clamp(limit ?? 100, 1, 10_000));
            return Results.Stream(async stream =>
            {
                await using var json = new Utf8JsonWriter(stream);
                json.WriteStartArray();
                foreach (var item in items)
                {
                    DecisionLogFormatter.Write(json, item);
                }

                json.WriteEndArray();
            }, "application/json");
        });
    }
}
