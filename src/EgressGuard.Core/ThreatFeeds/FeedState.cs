using EgressGuard.Lists;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// One feed as it stands: the last good data in force (after hygiene) and its status. Immutable:
/// a refresh makes a new state and swaps it in, so readers never see a half-applied feed.
/// </summary>
internal sealed record FeedState
{
    public required FeedOptions Options { get; init; }

    public string Name => Options.Name;

    public IReadOnlyList<IpRange> Ranges { get; init; } = [];

    public IReadOnlyList<DomainPattern> Domains { get; init; } = [];

    /// <summary>Entries the last good load parsed (before hygiene): the shrink guard's baseline.</summary>
    public int HealthyCount { get; init; }

    public FeedFormat Format { get; init; }

    public string? Version { get; init; }

    /// <summary>When the data in force was fetched; null while the feed has never loaded.</summary>
    public DateTimeOffset? LoadedAt { get; init; }

    public bool FromCache { get; init; }

    public FetchValidators? Validators { get; init; }

    public DateTimeOffset? LastAttempt { get; init; }

    public DateTimeOffset? LastSuccess { get; init; }

    public string? LastError { get; init; }

    public int ConsecutiveFailures { get; init; }

    public int Invalid { get; init; }

    public HygieneReport Hygiene { get; init; } = HygieneReport.None;

    public bool Loaded => LoadedAt is not null;

    public int EntryCount => Ranges.Count + Domains.Count;

    public EnforcementMode Mode =>
        string.Equals(Options.Mode, "report", StringComparison.OrdinalIgnoreCase) ? EnforcementMode.Report : EnforcementMode.Enforce;

    /// <summary>The source this feed's entries carry into the index and into decisions.</summary>
    public ListSource ToSource() => new("feed:" + Name)
    {
        Category = Options.Category,
        Mode = Mode,
        Version = Version,
        LoadedAt = LoadedAt,
    };
}
