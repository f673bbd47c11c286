using EgressGuard.Rules;

namespace EgressGuard.Admin.Rules;

/// <summary>One entry of <see cref="RuleListDto"/>: where it stands, whether its expiry has passed, and the rule as written.</summary>
internal sealed record RuleEntryDto(int Position, bool Expired, RuleDto Rule);
