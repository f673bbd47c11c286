using EgressGuard.Lists;
using EgressGuard.Rules;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Policy;

/// <summary>
/// Builds one <see cref="PolicySnapshot"/> from the admin's lists and every feed's data in force:
/// one address index and one name set, admin sources first, so that every entry that knows an
/// address is reported together. Runs off the request path; the result is swapped in atomically.
/// </summary>
internal static class PolicyComposer
{
    public static PolicySnapshot Compose(AdminLists admin, IReadOnlyList<FeedState> feeds, long version, RuleSet? rules = null)
    {
        var ips = new IpRangeIndexBuilder();
        foreach (var (source, ranges) in admin.Ip)
        {
            ips.AddRange(ips.AddSource(source), ranges);
        }

        var domains = new DomainSetBuilder();
        foreach (var (source, patterns) in admin.Domain)
        {
            foreach (var pattern in patterns)
            {
                domains.Add(pattern, source);
            }
        }

        foreach (var feed in feeds.Where(f => f.Loaded))
        {
            var source = feed.ToSource();
            if (feed.Ranges.Count > 0)
            {
                ips.AddRange(ips.AddSource(source), feed.Ranges);
            }

            foreach (var pattern in feed.Domains)
            {
                domains.Add(pattern, source);
            }
        }

        var exempt = new IpRangeIndexBuilder();
        exempt.AddRange(exempt.AddSource("guard:exempt"), admin.Exempt);
        var missing = feeds.Where(f => f.Options.Required && !f.Loaded).Select(f => f.Name).ToList();
        return new PolicySnapshot(ips.Build(), domains.Build(), admin.GuardEnabled ? PolicyLoader.BuildGuard() : null, exempt.Build(), version, rules)
        {
            MissingRequiredFeeds = missing,
        };
    }
}
