namespace EgressGuard.Admin.Rules;

/// <summary>One entry of <c>GET /rules/history</c>: a version that <c>POST /rules/rollback/{version}</c> can restore.</summary>
internal sealed record RuleVersionDto(long Version, DateTimeOffset Time);
