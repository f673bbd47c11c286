namespace EgressGuard.ThreatFeeds;

/// <summary>The feed formats EgressGuard reads; configuration names in <see cref="FeedFormats"/>.</summary>
internal enum FeedFormat
{
    Auto,
    Plain,
    FireHol,
    SpamhausDrop,
    SpamhausDropJson,
    Feodo,
    FeodoCsv,
    FeodoJson,
    IpSum,
    TorExit,
    Hosts,
    Domains,
}
