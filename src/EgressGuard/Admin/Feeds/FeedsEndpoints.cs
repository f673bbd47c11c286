using EgressGuard.ThreatFeeds;

namespace EgressGuard.Admin.Feeds;

/// <summary><c>GET /feeds</c>: each threat feed's data in force and refresh status.</summary>
internal static class FeedsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, FeedManager feeds, TimeProvider time)
    {
        app.MapGet("/feeds", () => Results.Json(feeds.States.Select(s => FeedDto.From(s, time.GetUtcNow()))));
    }
}
