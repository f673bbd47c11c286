using EgressGuard.Lists;
using EgressGuard.Resolution;
using EgressGuard.Rules;

namespace EgressGuard.Policy;

/// <summary>The deny decisions of the ordered walk, one per kind of entry that denied, each with its reason, entry and detail.</summary>
internal static class PolicyDenials
{
    public static Decision ByName(DomainMatch listed, MatchRecord record, string name, EvaluationContext context) => new()
    {
        Action = DecisionAction.Deny,
        Reason = DecisionReasons.DomainList,
        Target = context.Target,
        Rule = listed.Rule,
        Entry = listed.Entry,
        MatchedName = name,
        Matches = context.Matches ?? [record],
        Detail = name == context.Target.Host
            ? $"{name} is on {listed.Rule} (entry {listed.Entry})"
            : $"{context.Target.Host} is an alias of {name}, which is on {listed.Rule} (entry {listed.Entry})",
    };

    public static Decision ByList(IPAddress address, IPAddress form, IpMatch match, EvaluationContext context) =>
        ByAddress(DecisionReasons.IpList, match.Rule, form, match, context, $"{Describe(address, form)} is on {match.Rule} (entry {match.Entry})");

    public static Decision ByGuard(IPAddress address, IPAddress form, IpMatch match, EvaluationContext context) =>
        ByAddress(DecisionReasons.NonPublic, NonPublicRanges.ListName, form, match, context, $"{Describe(address, form)} is {match.Category} ({match.Entry}), not a public address");

    public static Decision ByRule(Rule rule, EvaluationContext context, string? name, IPAddress? address) => new()
    {
        Action = DecisionAction.Deny,
        Reason = DecisionReasons.Rule,
        Target = context.Target,
        Rule = rule.Label,
        Entry = name ?? address?.ToString(),
        MatchedName = name,
        MatchedAddress = address,
        Matches = context.Matches ?? [],
        Detail = $"{name ?? address?.ToString()} is denied by {rule.Label}"
            + (rule.Definition.Comment is { Length: > 0 } comment ? $" ({comment})" : string.Empty)
            + (rule.Definition.Ticket is { Length: > 0 } ticket ? $" [{ticket}]" : string.Empty),
    };

    private static Decision ByAddress(string reason, string rule, IPAddress form, IpMatch match, EvaluationContext context, string detail) => new()
    {
        Action = DecisionAction.Deny,
        Reason = reason,
        Target = context.Target,
        Rule = rule,
        Entry = match.Entry.ToString(),
        MatchedAddress = form,
        Matches = context.Matches ?? [],
        Detail = detail,
    };

    private static string Describe(IPAddress address, IPAddress form) =>
        form.Equals(address) ? form.ToString() : $"{form} (embedded in {address})";

    /// <summary>No rule allowed anything and the default is deny.</summary>
    public static Decision Default(Target target, EvaluationContext context) => new()
    {
        Action = DecisionAction.Deny,
        Reason = DecisionReasons.DefaultDeny,
        Target = target,
        Rule = "default",
        Matches = context.Matches ?? [],
        Detail = $"no rule allows {target} and the default is deny",
    };

    /// <summary>Resolution failed: an error decision naming the DNS error.</summary>
    public static Decision DnsFailure(Target target, Resolution.Resolution resolution) => new()
    {
        Action = DecisionAction.Error,
        Reason = resolution.Error switch
        {
            ResolutionError.NxDomain => DecisionReasons.DnsNxDomain,
            ResolutionError.Timeout => DecisionReasons.DnsTimeout,
            ResolutionError.NoAddresses => DecisionReasons.DnsNoAddress,
            ResolutionError.CnameChain => DecisionReasons.DnsCnameChain,
            _ => DecisionReasons.DnsServerFailure,
        },
        Target = target,
        CanonicalNames = resolution.CanonicalNames,
        Detail = resolution.ErrorDetail,
    };
}
