namespace EgressGuard.Admin.Explain;

/// <summary>A <see cref="Decision"/> on the wire: addresses as text, the action as the decision log names it.</summary>
internal sealed record DecisionDto(
    string Action,
    string Reason,
    string? Rule,
    string? Upstream,
    string? Entry,
    string? MatchedAddress,
    string? MatchedName,
    string? Target,
    IEnumerable<string> ResolvedAddresses,
    IReadOnlyList<string> Cnames,
    IEnumerable<string> Approved,
    IEnumerable<DecisionMatchDto> Matches,
    string? WouldDeny,
    string? Detail)
{
    public static DecisionDto From(Decision d) => new(
        DecisionLogFormatter.ActionName(d.Action),
        d.Reason,
        d.Rule,
        d.Upstream,
        d.Entry,
        d.MatchedAddress?.ToString(),
        d.MatchedName,
        d.Target?.ToString(),
        d.ResolvedAddresses.Select(a => a.ToString()),
        d.CanonicalNames,
        d.Approved.Select(a => a.ToString()),
        d.Matches.Select(DecisionMatchDto.From),
        d.WouldDeny is { } w ? $"{w.Rule} {w.Entry}" : null,
        d.Detail);
}
