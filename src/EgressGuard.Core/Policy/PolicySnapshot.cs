using EgressGuard.Lists;
using EgressGuard.Rules;

namespace EgressGuard.Policy;

/// <summary>
/// Everything a decision reads, frozen: the ordered rules (admin rules and the built-in entries
/// lists → feeds → guard → default, wherever the admin placed them), the one address index of
/// every admin list and feed, the one name set, the guard and its exemptions. Built off the request
/// path, swapped atomically; each request reads one snapshot.
/// For the requested name, each CNAME and each resolved address the list is walked in order and
/// the first matching entry decides that subject. Name matchers match names only, address
/// matchers (CIDRs, lists, feeds, the guard) addresses only; a rule with both matches an address
/// when the address and the connection's name both match.
/// </summary>
internal sealed partial class PolicySnapshot(IpRangeIndex badIps, DomainSet badDomains, IpRangeIndex? guard, IpRangeIndex exempt, long version, RuleSet? rules = null)
{
    public static PolicySnapshot Empty { get; } = new(IpRangeIndex.Empty, DomainSet.Empty, null, IpRangeIndex.Empty, 0);

    public IpRangeIndex BadIps { get; } = badIps;

    public DomainSet BadDomains { get; } = badDomains;

    /// <summary>The non-public guard, or null when disabled.</summary>
    public IpRangeIndex? Guard { get; } = guard;

    public IpRangeIndex Exempt { get; } = exempt;

    public long Version { get; } = version;

    public RuleSet Rules { get; } = rules ?? RuleSet.Default;

    /// <summary>Required feeds that have never loaded: while any is missing, every request is refused (fail closed).</summary>
    public IReadOnlyList<string> MissingRequiredFeeds { get; init; } = [];

    /// <summary>Walks the list for a name (the requested one or a CNAME). Returns the deny, if any.</summary>
    public (SubjectOutcome Outcome, Decision? Denied) EvaluateName(string name, EvaluationContext context)
    {
        var target = context.Target;
        DomainMatch listed = default;
        var isListed = BadDomains.TryMatch(name, out listed);
        MatchRecord? record = isListed
            ? new MatchRecord(listed.Rule, listed.Entry, name, listed.Source.Category, listed.Source.Version, listed.Source.Mode) { LoadedAt = listed.Source.LoadedAt }
            : null;
        if (record is not null)
        {
            context.AddMatch(record);
        }

        foreach (var rule in Rules.Rules)
        {
            if (rule.Kind == RuleKind.Default)
            {
                context.Step(name, rule.Label, rule.Action, "not decided here: connection default");
                break;
            }

            if (rule.Kind == RuleKind.Guard || (rule.Kind == RuleKind.User && !AppliesToNames(rule)))
            {
                continue;
            }

            if (rule.IsPerRequest)
            {
                context.Step(name, rule.Label, rule.Action, rule.HasPaths ? "decided per URL (path rule)" : "decided per request (method rule)");
                continue;
            }

            if (rule.Kind == RuleKind.User && !rule.AppliesTo(target.Port, context.Client, context.Now, context.Method))
            {
                context.Step(name, rule.Label, rule.Action, rule.IsExpired(context.Now) ? "expired" : "conditions not met");
                continue;
            }

            var matched = rule.Kind switch
            {
                RuleKind.Lists => isListed && listed.Source.Name.StartsWith("list:", StringComparison.Ordinal),
                RuleKind.Feeds => isListed && listed.Source.Name.StartsWith("feed:", StringComparison.Ordinal),
                _ => rule.HasFeeds ? isListed && rule.NamesFeed(listed.Source) : rule.Names is null || rule.Names.TryMatch(name, out _),
            };
            if (!matched)
            {
                context.Step(name, rule.Label, rule.Action, "no match");
                continue;
            }

            // Report mode (a report rule, or a report-mode feed under the feeds entry): note and walk on.
            if (!rule.IsAllow && (rule.Mode == EnforcementMode.Report || (rule.Kind is RuleKind.Lists or RuleKind.Feeds && listed.Source.Mode == EnforcementMode.Report)))
            {
                context.WouldDeny ??= rule.Kind == RuleKind.User ? new MatchRecord(rule.Label, name, name, null, null, EnforcementMode.Report) : record;
                context.Step(name, rule.Label, rule.Action, "would deny (report mode)");
                continue;
            }

            context.Step(name, rule.Label, rule.Action, rule.IsAllow ? "allow" : "deny");
            if (rule.IsAllow)
            {
                context.Allow(rule);
                return (SubjectOutcome.Allow, null);
            }

            return (SubjectOutcome.Deny, rule.Kind == RuleKind.User ? PolicyDenials.ByRule(rule, context, name, null) : PolicyDenials.ByName(listed, record!, name, context));
        }

        return (SubjectOutcome.NoMatch, null);
    }

    /// <summary>Walks the list for one resolved (or literal) address and the IPv4 addresses embedded in it.</summary>
    /// <returns>The outcome, the deny if any, and the position of the deciding entry (to rank denies across addresses).</returns>
    public (SubjectOutcome Outcome, Decision? Denied, int Position) EvaluateAddress(IPAddress address, EvaluationContext context)
    {
        var position = -1;
        var target = context.Target;
        var embedded = AddressNormalizer.EmbeddedIPv4(address);
        var listMatches = CollectListMatches(address, embedded, context);
        var guardHit = MatchGuard(address, embedded, out var guardForm, out var guardMatch);

        foreach (var rule in Rules.Rules)
        {
            position++;
            if (rule.Kind == RuleKind.Default)
            {
                context.Step(address.ToString(), rule.Label, rule.Action, "not decided here: connection default");
                break;
            }

            if (rule.Kind == RuleKind.User && !AppliesToAddresses(rule))
            {
                continue;
            }

            if (rule.IsPerRequest)
            {
                context.Step(address.ToString(), rule.Label, rule.Action, rule.HasPaths ? "decided per URL (path rule)" : "decided per request (method rule)");
                continue;
            }

            if (rule.Kind == RuleKind.User && !rule.AppliesTo(target.Port, context.Client, context.Now, context.Method))
            {
                context.Step(address.ToString(), rule.Label, rule.Action, rule.IsExpired(context.Now) ? "expired" : "conditions not met");
                continue;
            }

            (IpMatch Match, IPAddress Form)? hit = null;
            var matched = false;
            switch (rule.Kind)
            {
                case RuleKind.Lists:
                case RuleKind.Feeds:
                    var prefix = rule.Kind == RuleKind.Lists ? "list:" : "feed:";
                    hit = FirstMatch(listMatches, m => m.Rule.StartsWith(prefix, StringComparison.Ordinal) && m.Source.Mode == EnforcementMode.Enforce);
                    matched = hit is not null;
                    if (!matched && FirstMatch(listMatches, m => m.Rule.StartsWith(prefix, StringComparison.Ordinal)) is { } reported)
                    {
                        context.WouldDeny ??= MatchRecord.From(reported.Match, reported.Form.ToString());
                        context.Step(address.ToString(), rule.Label, rule.Action, "would deny (report-mode feed)", $"{reported.Match.Rule} {reported.Match.Entry}");
                        continue;
                    }

                    break;
                case RuleKind.Guard:
                    matched = guardHit;
                    break;
                default:
                    matched = rule.HasFeeds
                        ? (hit = FirstMatch(listMatches, m => rule.NamesFeed(m.Source))) is not null
                        : rule.Addresses is null || rule.MatchesAddress(address) || embedded.Any(rule.MatchesAddress);
                    if (matched && rule.HasNames)
                    {
                        matched = context.Names.Any(n => rule.Names!.TryMatch(n, out _));
                    }

                    break;
            }

            if (!matched)
            {
                context.Step(address.ToString(), rule.Label, rule.Action, "no match");
                continue;
            }

            if (!rule.IsAllow && rule.Mode == EnforcementMode.Report)
            {
                context.WouldDeny ??= new MatchRecord(rule.Label, address.ToString(), address.ToString(), null, null, EnforcementMode.Report);
                context.Step(address.ToString(), rule.Label, rule.Action, "would deny (report mode)");
                continue;
            }

            context.Step(address.ToString(), rule.Label, rule.Action, rule.IsAllow ? "allow" : "deny");
            if (rule.IsAllow)
            {
                context.Allow(rule);
                return (SubjectOutcome.Allow, null, position);
            }

            var denied = rule.Kind switch
            {
                RuleKind.Guard => PolicyDenials.ByGuard(address, guardForm!, guardMatch, context),
                RuleKind.Lists or RuleKind.Feeds => PolicyDenials.ByList(address, hit!.Value.Form, hit.Value.Match, context),
                _ => PolicyDenials.ByRule(rule, context, null, address),
            };
            return (SubjectOutcome.Deny, denied, position);
        }

        return (SubjectOutcome.NoMatch, null, position);
    }

    private static bool AppliesToNames(Rule rule) =>
        rule.HasFeeds || (rule.HasNames && !rule.HasAddresses) || (!rule.HasNames && !rule.HasAddresses);

    private static bool AppliesToAddresses(Rule rule) =>
        rule.HasFeeds || rule.HasAddresses || !rule.HasNames;
}
