using EgressGuard.ThreatFeeds;

namespace EgressGuard.Admin.Feeds;

/// <summary>
/// <c>GET /feeds</c>: each threat feed's data in force and refresh status;
/// <c>GET /feeds/{name}/history</c>: its entry count at each successful load, oldest first.
/// </summary>
internal static class FeedsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, FeedManager feeds, TimeProvider time)
    {
        app.MapGet("/feeds", () => Results.Json(feeds.States.Select(s => FeedDto.From(s, time.GetUtcNow()))));
        app.MapGet("/feeds/{name}/history", (string name) =>
            feeds.States.Any(s => s.Name == name)
                ? Results.Json(feeds.History.Get(name).Select(p => new FeedHistoryPointDto(p.At, p.Entries, p.Dropped)))
                : AdminProblems.NotFound($"no feed '{name}'"));
    }
}
