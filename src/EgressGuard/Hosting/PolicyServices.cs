using EgressGuard.Lists;
using EgressGuard.Proxy;
using EgressGuard.Quarantine;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Hosting;

/// <summary>The policy and what feeds it: resolution, rules, threat feeds. Start work is done by hosted services, never by a factory.</summary>
internal static class PolicyServices
{
    public static IServiceCollection AddEgressGuardPolicy(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(Options.Create(settings.Dns));
        services.AddSingleton(new PolicyHolder(settings.Policy.Snapshot!));
        services.AddSingleton<IPolicySource>(sp => sp.GetRequiredService<PolicyHolder>());
        services.AddSingleton<DnsClientResolver>(_ => new DnsClientResolver(settings.Dns));
        services.AddSingleton<IResolver>(sp => new CachingResolver(sp.GetRequiredService<DnsClientResolver>(), settings.Dns, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new InstrumentedResolver(sp.GetRequiredService<IResolver>(), sp.GetRequiredService<EgressGuardMetrics>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SelfEndpoints>();
        services.AddSingleton(sp => new EgressPolicy(sp.GetRequiredService<IPolicySource>(), sp.GetRequiredService<InstrumentedResolver>(), settings.Dns.Prefer, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SelfEndpoints>(), sp.GetRequiredService<QuarantineStore>()));
        return services;
    }

    /// <summary>Admin rules: the store (loaded and watched by <see cref="RulesStartup"/>, before the feeds' first composition) and the expiry reporter.</summary>
    public static IServiceCollection AddEgressGuardRules(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            return new RulesStore(
                paths.Resolve(settings.Rules.File),
                Path.Combine(paths.Resolve(settings.Data.Directory), "rules-history"),
                settings.Rules.HistoryLimit,
                settings.IsKnownFeed,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.Rules"),
                settings.IsKnownParent);
        });
        services.AddSingleton<IRulesLoader, FileRulesLoader>();
        services.AddHostedService<RulesStartup>();
        services.AddHostedService<RuleExpiryReporter>();
        return services;
    }

    public static IServiceCollection AddEgressGuardFeeds(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton<IFeedFetcher, FeedFetcher>();
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            var guard = settings.Policy.Admin!;
            var excluded = guard.Exempt.Concat(settings.Hygiene.Exclude.Select(IpNetworkParser.Parse));
            // Validated at start: no errors left to report here.
            var knownGood = KnownGoodSet.Load(settings.Hygiene, paths, []);
            return new FeedHygiene(settings.Hygiene, excluded, knownGood);
        });
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            return new FeedManager(
                settings.Feeds,
                sp.GetRequiredService<FeedHygiene>(),
                sp.GetRequiredService<IFeedFetcher>(),
                new FeedCache(Path.Combine(paths.Resolve(settings.Data.Directory), "feeds")),
                paths.BaseDirectory,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.ThreatFeeds"));
        });
        services.AddSingleton(sp => new FeedScheduler(sp.GetRequiredService<FeedManager>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new PolicyRecomposer(settings.Policy.Admin!, sp.GetRequiredService<FeedManager>(), sp.GetRequiredService<PolicyHolder>()));
        services.AddSingleton<FeedMetrics>();
        services.AddHostedService<FeedRefreshService>();
        services.AddSingleton<HeapCompactor>();
        services.AddHostedService(sp => sp.GetRequiredService<HeapCompactor>());
        return services;
    }
}
