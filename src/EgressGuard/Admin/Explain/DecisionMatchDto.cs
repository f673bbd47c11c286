namespace EgressGuard.Admin.Explain;

/// <summary>One entry of <see cref="DecisionDto.Matches"/>: the list or feed entry, the name or address it matched, and its provenance.</summary>
internal sealed record DecisionMatchDto(string Rule, string Entry, string Address, string? Category, string? Version, string Mode)
{
    public static DecisionMatchDto From(MatchRecord m) => new(m.Rule, m.Entry, m.Matched, m.Category, m.Version, m.Mode.ToString().ToLowerInvariant());
}
