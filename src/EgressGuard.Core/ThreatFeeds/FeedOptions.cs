namespace EgressGuard.ThreatFeeds;

/// <summary>One entry of the configuration array <c>Feeds</c>. The key names are the product's interface.</summary>
internal sealed class FeedOptions
{
    /// <summary>Label used in decisions as <c>feed:NAME</c> (letters, digits, '-', '_', '.'). Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>One of <see cref="FeedFormats.Names"/>; <c>auto</c> sniffs and logs the choice. Default <c>auto</c>.</summary>
    public string Format { get; set; } = "auto";

    /// <summary>A file path (relative to the config folder) or an http(s) URL. Required.</summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>
    /// Request headers for a URL feed (<c>Feeds:N:Headers:X-Api-Key</c>), for providers that take an
    /// API key. Sent on every fetch, never logged or shown. Default none. Prefer this to a key in
    /// the URL (which is shown redacted, <c>?key=***</c>).
    /// </summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Refresh interval; up to 10 % jitter is added. Default 1 h. Respect the provider's minimum.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Drop non-public, excluded and over-wide ranges from this feed. Default true.</summary>
    public bool Hygiene { get; set; } = true;

    /// <summary>Largest share of entries a refresh may lose against the last healthy load before it is refused. Default 0.5.</summary>
    public double ShrinkGuard { get; set; } = 0.5;

    /// <summary>IPsum: least number of lists an address must be on. Default 1.</summary>
    public int MinCount { get; set; } = 1;

    /// <summary><c>enforce</c> (deny) or <c>report</c> (log "would deny", allow). Default <c>enforce</c>.</summary>
    public string Mode { get; set; } = "enforce";

    /// <summary>Fail closed: while this feed has never loaded, every request is refused with 503. Default false.</summary>
    public bool Required { get; set; }

    /// <summary>Category reported with matches, e.g. <c>c2</c>, <c>botnet</c>, <c>tor</c>. Optional.</summary>
    public string? Category { get; set; }

    /// <summary>Set false to keep a feed configured but unused. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Longest a download may take. Default 60 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest download accepted, in bytes. Default 64 MiB.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    public bool IsUrl => Source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || Source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}

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
