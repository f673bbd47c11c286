namespace EgressGuard.Rules;

/// <summary>What kind of entry of the ordered list a rule is.</summary>
internal enum RuleKind
{
    /// <summary>An admin's rule from rules.json.</summary>
    User,

    /// <summary>Deny what the admin lists (<c>Lists:*</c>) name.</summary>
    Lists,

    /// <summary>Deny what the enforcing threat feeds list.</summary>
    Feeds,

    /// <summary>Deny non-public addresses (the guard, minus <c>Guard:Exempt</c>).</summary>
    Guard,

    /// <summary>The connection-level fallback when no entry allowed or denied anything.</summary>
    Default,
}
