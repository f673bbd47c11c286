namespace EgressGuard.ThreatFeeds;

/// <summary>Configuration names of the formats (the product's interface: keep them).</summary>
internal static class FeedFormats
{
    private static readonly Dictionary<string, FeedFormat> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = FeedFormat.Auto,
        ["plain"] = FeedFormat.Plain,
        ["firehol"] = FeedFormat.FireHol,
        ["spamhaus-drop"] = FeedFormat.SpamhausDrop,
        ["spamhaus-drop-json"] = FeedFormat.SpamhausDropJson,
        ["feodo"] = FeedFormat.Feodo,
        ["feodo-csv"] = FeedFormat.FeodoCsv,
        ["feodo-json"] = FeedFormat.FeodoJson,
        ["ipsum"] = FeedFormat.IpSum,
        ["tor-exit"] = FeedFormat.TorExit,
        ["hosts"] = FeedFormat.Hosts,
        ["domains"] = FeedFormat.Domains,
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryParse(string? name, out FeedFormat format) => ByName.TryGetValue(name ?? string.Empty, out format);

    public static string Name(FeedFormat format) => ByName.First(p => p.Value == format).Key;
}
