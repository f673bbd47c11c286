using EgressGuard.Rules;

namespace EgressGuard.Admin.Rules;

/// <summary>The body of <c>GET /rules</c> (and of reorder and rollback): the rule set in force, in evaluation order.</summary>
internal sealed record RuleListDto(long Version, string File, string DefaultAction, IEnumerable<RuleEntryDto> Rules)
{
    public static RuleListDto From(RuleSet rules, string path, DateTimeOffset now) => new(
        rules.Version,
        path,
        rules.DefaultAllow ? "allow" : "deny",
        rules.Rules.Select((r, i) => new RuleEntryDto(i, r.IsExpired(now), r.Definition)));
}
