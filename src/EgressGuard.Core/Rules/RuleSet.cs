namespace EgressGuard.Rules;

/// <summary>
/// The ordered list, built-in entries included, first match wins. Immutable; a reload or an API
/// edit builds a new one and the policy swaps it in.
/// </summary>
internal sealed class RuleSet
{
    public RuleSet(IReadOnlyList<Rule> rules, long version)
    {
        Rules = rules;
        Version = version;
        DefaultAllow = rules.FirstOrDefault(r => r.Kind == RuleKind.Default)?.IsAllow ?? true;
    }

    /// <summary>Admin rules, then lists → feeds → guard → default, unless the file placed them elsewhere.</summary>
    public static RuleSet Default { get; } = RuleCompiler.Compile(new RulesDocument(), RuleCompiler.NoFeedCheck, DateTimeOffset.MinValue).Set!;

    public IReadOnlyList<Rule> Rules { get; }

    public long Version { get; }

    public bool DefaultAllow { get; }

    public Rule? Find(string id) => Rules.FirstOrDefault(r => r.Id == id);

    /// <summary>The document that reproduces this set, built-ins in place.</summary>
    public RulesDocument ToDocument() => new() { Rules = Rules.Select(r => r.Definition.Clone()).ToList() };
}
