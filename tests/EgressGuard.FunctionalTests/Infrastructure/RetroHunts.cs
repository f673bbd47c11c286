using EgressGuard.History;
using EgressGuard.Policy;
using EgressGuard.ThreatFeeds;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>Feed refreshes that a test follows up to the retro-hunt they cause.</summary>
internal static class RetroHunts
{
    /// <summary>
    /// Refreshes <paramref name="feed"/> and waits for the hunt against the policy that refresh put
    /// in force, not for any further run: a hunt asked for earlier (at start) can still be pending,
    /// and taking it for this refresh's makes the next hunt diff against an older snapshot.
    /// </summary>
    public static async Task RefreshAndWaitAsync(IServiceProvider services, string feed = "feodo")
    {
        await services.GetRequiredService<FeedManager>().RefreshAsync(feed, CancellationToken.None);
        var version = services.GetRequiredService<IPolicySource>().Current.Version;
        var hunt = services.GetRequiredService<RetroHunt>();
        await Eventually.UntilAsync(() => hunt.Last?.Version >= version, $"a retro-hunt against policy v{version}");
    }
}
