using EgressGuard.Lists;

namespace EgressGuard.Policy;

/// <summary>
/// One list or feed entry that matched a checked name or address, with its provenance. A decision
/// carries all of them: an investigator sees every feed that knew the address, not only the first.
/// </summary>
internal sealed record MatchRecord(string Rule, string Entry, string Matched, string? Category, string? Version, EnforcementMode Mode)
{
    /// <summary>When the source's data in force was fetched (feeds).</summary>
    public DateTimeOffset? LoadedAt { get; init; }

    public static MatchRecord From(IpMatch match, string matched) =>
        new(match.Rule, match.Entry.ToString(), matched, match.Category, match.Source.Version, match.Source.Mode) { LoadedAt = match.Source.LoadedAt };
}
