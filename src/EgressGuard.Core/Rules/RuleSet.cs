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
        // A CONNECT rule makes the decision depend on the method too: not cached by destination alone.
        ClientIndependent = rules.All(r => r.Sources is null && r.Users.Count == 0 && r.Groups.Count == 0 && !r.IsConnectRule);
        HasPathRules = rules.Any(r => r.HasPaths);
        HasRequestRules = rules.Any(r => r.IsPerRequest);
        NextExpiry = rules.Where(r => r.Expires is not null).Select(r => r.Expires!.Value).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
    }

    /// <summary>No rule looks at who asks or how: a decision depends on the destination alone (and can be reused).</summary>
    public bool ClientIndependent { get; }

    /// <summary>Some rule is limited to URL paths: requests with a known path are checked by <see cref="Policy.UrlPolicy"/>.</summary>
    public bool HasPathRules { get; }

    /// <summary>Some rule is decided per request (paths, or methods other than CONNECT): see <see cref="Rule.IsPerRequest"/>.</summary>
    public bool HasRequestRules { get; }

    /// <summary>The earliest rule expiry, when decisions may change without a new version.</summary>
    public DateTimeOffset NextExpiry { get; }

    /// <summary>Admin rules, then lists → feeds → guard → default, unless the file placed them elsewhere.</summary>
    public static RuleSet Default { get; } = RuleCompiler.Compile(new RulesDocument(), RuleCompiler.NoFeedCheck, DateTimeOffset.MinValue).Set!;

    public IReadOnlyList<Rule> Rules { get; }

    public long Version { get; }

    public bool DefaultAllow { get; }

    public Rule? Find(string id) => Rules.FirstOrDefault(r => r.Id == id);

    /// <summary>The document that reproduces this set, built-ins in place.</summary>
    public RulesDocument ToDocument() => new() { Rules = Rules.Select(r => r.Definition.Clone()).ToList() };
}
