namespace EgressGuard.Rules;

/// <summary>
/// Compiles a built-in entry (lists, feeds, guard, default): it takes no matchers, and only the default
/// has an action of its own. The stored definition is normalised (<c>builtin: true</c>, no position).
/// </summary>
internal static class BuiltinRuleCompiler
{
    public static Rule? Compile(RuleDto dto, string label, List<string> errors)
    {
        var kind = dto.Id switch
        {
            RuleCompiler.ListsId => RuleKind.Lists,
            RuleCompiler.FeedsId => RuleKind.Feeds,
            RuleCompiler.GuardId => RuleKind.Guard,
            RuleCompiler.DefaultId => RuleKind.Default,
            _ => (RuleKind?)null,
        };
        if (kind is null)
        {
            errors.Add($"{label}: unknown built-in entry (expected one of {string.Join(", ", RuleCompiler.BuiltinOrder)})");
            return null;
        }

        if (dto.Destinations is { Count: > 0 } || dto.Ports is { Count: > 0 } || dto.Sources is { Count: > 0 } || dto.Feeds is { Count: > 0 }
            || dto.Users is { Count: > 0 } || dto.Groups is { Count: > 0 } || dto.Paths is { Count: > 0 } || dto.Inspect is not null)
        {
            errors.Add($"{label}: a built-in entry takes no matchers; add a rule of your own before or after it");
        }

        var isAllow = false;
        if (kind == RuleKind.Default)
        {
            if (dto.Action is not ("allow" or "deny"))
            {
                errors.Add($"{label}: action = '{dto.Action}': the default is allow or deny");
            }

            isAllow = dto.Action != "deny";
        }

        var definition = dto.Clone();
        definition.Builtin = true;
        definition.Action = kind == RuleKind.Default ? (isAllow ? "allow" : "deny") : "deny";
        definition.Position = null;
        return new Rule
        {
            Id = dto.Id!,
            Kind = kind.Value,
            IsAllow = isAllow,
            Definition = definition,
        };
    }
}
