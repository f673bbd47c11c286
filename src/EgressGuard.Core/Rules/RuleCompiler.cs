namespace EgressGuard.Rules;

/// <summary>
/// Validates a rules document and compiles it. Every problem is collected and names the rule id
/// (or index) and the field: duplicate ids, bad CIDRs and names, bad wildcards, unknown feeds and parents,
/// ports out of range, expiry in the past. Built-in entries missing from the document are added
/// at the end in their default order: lists → feeds → guard → default allow.
/// </summary>
internal static class RuleCompiler
{
    public const string ListsId = "lists";
    public const string FeedsId = "feeds";
    public const string GuardId = "guard";
    public const string DefaultId = "default";

    internal static readonly string[] BuiltinOrder = [ListsId, FeedsId, GuardId, DefaultId];

    /// <summary>Accepts any feed name (for documents compiled without a feed configuration).</summary>
    public static readonly Func<string, bool> NoFeedCheck = _ => true;

    /// <param name="isKnownFeed">Whether a name in <c>feeds</c> is a configured feed or category.</param>
    /// <param name="now">For expiry: a rule that expired before <paramref name="now"/> is an error when <paramref name="rejectExpired"/>, else a warning.</param>
    /// <param name="isKnownParent">Whether a name in <c>upstream</c> is a configured parent proxy; null: none is (only <c>direct</c>).</param>
    public static RuleCompilation Compile(RulesDocument document, Func<string, bool> isKnownFeed, DateTimeOffset now, bool rejectExpired = false, long version = 0, Func<string, bool>? isKnownParent = null)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var rules = new List<Rule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Rules.Count; i++)
        {
            var dto = document.Rules[i];
            var label = string.IsNullOrWhiteSpace(dto.Id) ? $"rules[{i}]" : $"rule '{dto.Id}'";
            if (string.IsNullOrWhiteSpace(dto.Id))
            {
                errors.Add($"{label}: id is required");
                continue;
            }

            if (!dto.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add($"{label}: id may contain only letters, digits, '-', '_' and '.'");
                continue;
            }

            if (!ids.Add(dto.Id))
            {
                errors.Add($"{label}: duplicate id");
                continue;
            }

            var rule = dto.Builtin || BuiltinOrder.Contains(dto.Id)
                ? BuiltinRuleCompiler.Compile(dto, label, errors)
                : UserRuleCompiler.Compile(dto, label, isKnownFeed, isKnownParent ?? RuleUpstream.NoParents, now, rejectExpired, errors, warnings);
            if (rule is not null)
            {
                rules.Add(rule);
            }
        }

        // Missing built-ins go at the end in their default order, before an explicit default.
        var explicitDefault = rules.FindIndex(r => r.Kind == RuleKind.Default);
        var insertAt = explicitDefault >= 0 ? explicitDefault : rules.Count;
        foreach (var id in BuiltinOrder.Where(id => !ids.Contains(id)))
        {
            var builtin = BuiltinRuleCompiler.Compile(new RuleDto { Id = id, Builtin = true, Action = id == DefaultId ? "allow" : null }, id, errors)!;
            if (id == DefaultId)
            {
                rules.Add(builtin);
            }
            else
            {
                rules.Insert(insertAt++, builtin);
            }
        }

        // inspect: never under a deny path rule: for what that rule allows, HTTPS requests are never
        // decrypted, so the path rule above it cannot see them and such CONNECTs are refused (a blind
        // tunnel would bypass it) unless the rule is about CONNECT. Legitimate (pinned apps), but say so.
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Inspect == InspectMode.Never && !rules[i].IsConnectRule && rules.Take(i).FirstOrDefault(r => r.IsPerRequest && !r.IsAllow) is { } above)
            {
                warnings.Add($"rule '{rules[i].Id}': inspect = 'never': HTTPS requests to what it allows are not decrypted, so path rule '{above.Id}' above it cannot see them: CONNECTs it applies to are refused unless allowed by a rule with methods [CONNECT] (plain http:// is still checked)");
            }
        }

        // The default is the fallback: it must come last to mean anything.
        var defaultIndex = rules.FindIndex(r => r.Kind == RuleKind.Default);
        if (defaultIndex != rules.Count - 1)
        {
            errors.Add($"rule 'default': must be the last entry (found at position {defaultIndex})");
        }

        return new RuleCompilation(errors.Count == 0 ? new RuleSet(rules, version) : null, errors, warnings);
    }
}
