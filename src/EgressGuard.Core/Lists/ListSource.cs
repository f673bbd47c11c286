namespace EgressGuard.Lists;

/// <summary>
/// Where entries of an index come from: an admin list, a threat feed or the built-in guard, with
/// the provenance a decision reports (label, category, feed version and load time).
/// </summary>
internal sealed record ListSource(string Name)
{
    /// <summary>Feed category, e.g. <c>c2</c>, <c>botnet</c>; null for admin lists.</summary>
    public string? Category { get; init; }

    public EnforcementMode Mode { get; init; } = EnforcementMode.Enforce;

    /// <summary>The feed's own version or date when it states one.</summary>
    public string? Version { get; init; }

    /// <summary>When this data was fetched.</summary>
    public DateTimeOffset? LoadedAt { get; init; }
}
