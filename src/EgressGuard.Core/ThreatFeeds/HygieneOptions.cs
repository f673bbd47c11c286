namespace EgressGuard.ThreatFeeds;

/// <summary>Configuration section <c>Hygiene</c>: what feed hygiene removes, for every feed with <c>Hygiene: true</c>.</summary>
internal sealed class HygieneOptions
{
    public const string Section = "Hygiene";

    /// <summary>Widest IPv4 feed entry accepted (prefix length). Default 8: a /7 or wider is dropped.</summary>
    public int MaxPrefixV4 { get; set; } = 8;

    /// <summary>Widest IPv6 feed entry accepted. Default 32.</summary>
    public int MaxPrefixV6 { get; set; } = 32;

    /// <summary>The company's own ranges: never enforced from a feed (Guard:Exempt is added). Default none.</summary>
    public List<string> Exclude { get; set; } = [];

    /// <summary>Known-good addresses (public resolvers…): a feed entry covering one is logged as a probable false positive. Default: the big public DNS resolvers.</summary>
    public List<string> KnownGood { get; set; } =
    [
        "8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
        "2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111", "2606:4700:4700::1001", "2620:fe::fe",
    ];

    /// <summary>Files with more known-good addresses (one per line, like an IP list).</summary>
    public List<string> KnownGoodFiles { get; set; } = [];

    /// <summary>Also drop (not only log) feed entries that cover a known-good address. Default false.</summary>
    public bool DropKnownGood { get; set; }
}
