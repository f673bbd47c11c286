using EgressGuard.History;

namespace EgressGuard.Admin.History;

/// <summary>
/// The investigation history: <c>/history/connections</c>, <c>/history/dns</c>, <c>/history/top</c>,
/// <c>/history/retro-hunt</c>, and the security <c>/report</c>. The history queries answer 404 while history is off.
/// </summary>
internal static class HistoryEndpoints
{
    public static void Map(IEndpointRouteBuilder app, HistoryService history, Report report, TimeProvider time, IServiceProvider services)
    {
        app.MapGet("/history/connections", (string? destination, string? source, string? since, DateTimeOffset? from, DateTimeOffset? to, string? decision, int? limit) =>
        {
            if (history.Queries is null)
            {
                return Off();
            }

            var errors = new List<string>();
            var start = from ?? DateTimeOffset.MinValue;
            if (since is not null)
            {
                if (AdminDuration.TryParse(since, out var span))
                {
                    start = time.GetUtcNow() - span;
                }
                else
                {
                    errors.Add($"since = '{since}': expected e.g. 30m, 24h, 7d");
                }
            }

            var filter = new HistoryFilter { Destination = destination, Source = source, From = start, To = to ?? DateTimeOffset.MaxValue, Decision = decision, Limit = limit ?? 100 };
            errors.AddRange(HistoryQueries.Validate(filter));
            return errors.Count > 0 ? AdminProblems.BadRequest("Invalid history query", errors) : Results.Json(history.Queries.Connections(filter));
        });
        app.MapGet("/history/dns", (string? name, DateTimeOffset? at) =>
            history.Queries is null ? Off()
            : string.IsNullOrWhiteSpace(name) ? AdminProblems.BadRequest("Invalid DNS query", ["name is required (a name, or an address for the names that resolved to it)"])
            : Results.Json(history.Queries.Resolutions(name, at)));
        app.MapGet("/history/top", (string? since, int? limit) =>
        {
            if (history.Queries is null)
            {
                return Off();
            }

            if (!AdminDuration.TryParse(since ?? "24h", out var span))
            {
                return AdminProblems.BadRequest("Invalid query", [$"since = '{since}': expected e.g. 24h, 7d"]);
            }

            var now = time.GetUtcNow();
            return Results.Json(history.Queries.TopTalkers(now - span, now, limit ?? 20));
        });
        app.MapGet("/report", async (string? since) =>
            AdminDuration.TryParse(since ?? "7d", out var span)
                ? Results.Json(await report.BuildAsync(span))
                : AdminProblems.BadRequest("Invalid report request", [$"since = '{since}': expected e.g. 24h, 7d"]));
        app.MapPost("/history/retro-hunt", () =>
        {
            // An investigator asking for a hunt wants every entry checked again, not only what changed.
            services.GetRequiredService<RetroHunt>().Request(full: true);
            return Results.Accepted();
        });
    }

    private static IResult Off() =>
        Results.Problem(statusCode: 404, title: "History is off", detail: "set History:Enabled to true to keep the investigation history");
}
