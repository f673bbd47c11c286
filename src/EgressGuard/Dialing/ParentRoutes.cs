using EgressGuard.Rules;

namespace EgressGuard.Dialing;

/// <summary>
/// Every configured parent: the default (<c>Upstream:Proxy</c>, with <c>Upstream:Direct</c>) and
/// the named ones (<c>Upstream:Parents</c>). Picks the route of one dial from the decision: the
/// allowing rule's <c>upstream</c> when it has one (it wins over <c>Upstream:Direct</c>: it is the
/// more specific statement), else the default route.
/// </summary>
internal sealed class ParentRoutes(ParentProxy? defaultParent, IReadOnlyDictionary<string, ParentProxy> named)
{
    public static ParentRoutes None { get; } = new(null, new Dictionary<string, ParentProxy>());

    /// <summary><c>Upstream:Proxy</c>, or null.</summary>
    public ParentProxy? Default { get; } = defaultParent;

    /// <summary><c>Upstream:Parents</c> by name (case-sensitive, as rules name them).</summary>
    public IReadOnlyDictionary<string, ParentProxy> Named { get; } = named;

    public bool IsKnown(string name) => Named.ContainsKey(name);

    /// <summary>The parent to dial <paramref name="address"/> through, or null for a direct dial.</summary>
    public ParentProxy? For(Decision decision, IPAddress address) => decision.Upstream switch
    {
        null => Default is { } parent && !parent.Bypasses(decision.Target!, address) ? parent : null,
        RuleUpstream.Direct => null,
        // Rules are compiled against these names, so a miss is a bug: never fall back to another route.
        var name => Named.TryGetValue(name, out var parent) ? parent : throw new InvalidOperationException($"Rule {decision.Rule} names parent proxy '{name}', which is not configured."),
    };

    /// <summary>The value of <c>egressguard.upstream</c>: the parent's name or <c>direct</c>; null when no parent is configured and the rule chose none.</summary>
    public string? NameFor(Decision decision, IPAddress address) =>
        Default is null && Named.Count == 0 && decision.Upstream is null ? null : For(decision, address)?.Name ?? ParentProxy.DirectName;
}
