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
