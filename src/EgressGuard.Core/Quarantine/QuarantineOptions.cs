namespace EgressGuard.Quarantine;

/// <summary>
/// Configuration section <c>Quarantine</c>: containing a source that keeps trying to reach threat-feed
/// destinations. While quarantined, all its egress is denied (reason <c>quarantined</c>) except the
/// remediation destinations. Off by default; a source can also be quarantined by hand (API, CLI).
/// </summary>
internal sealed class QuarantineOptions
{
    public const string Section = "Quarantine";

    /// <summary>Quarantine automatically. Default false (manual quarantine works either way).</summary>
    public bool Enabled { get; set; }

    /// <summary>Threat-feed denies from one source within <see cref="Window"/> that trigger it. Default 3.</summary>
    public int Threshold { get; set; } = 3;

    /// <summary>Default 10 minutes.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an automatic quarantine lasts (and the default for a manual one). Default 1 hour.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Feed categories that count (e.g. <c>c2</c>). Default: every threat-feed deny counts.</summary>
    public List<string> Categories { get; set; } = [];

    /// <summary>
    /// Destinations a quarantined source may still reach — antivirus, patch and EDR servers: domain
    /// names (<c>av.corp.example</c>, <c>.updates.example</c> with subdomains) and CIDRs (matching every
    /// resolved address). The normal policy still applies to them.
    /// </summary>
    public List<string> Remediation { get; set; } = [];
}
