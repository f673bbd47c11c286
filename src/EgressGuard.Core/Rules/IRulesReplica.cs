namespace EgressGuard.Rules;

/// <summary>
/// Where the rules live when they are shared by a fleet (the PostgreSQL store): every version, in
/// order. <see cref="RulesStore"/> commits an edit here before it takes effect, so an edit either
/// reaches every node or is refused; other nodes' edits come back through <see cref="RulesStore.AdoptAsync"/>.
/// Every method throws when the store cannot be reached.
/// </summary>
internal interface IRulesReplica
{
    /// <summary>Stores <paramref name="content"/> as <paramref name="version"/>; false when that version exists already (another node edited first).</summary>
    Task<bool> TryCommitAsync(long version, string content, CancellationToken cancellationToken = default);

    /// <summary>The newest version, or null when the store has no rules yet.</summary>
    Task<(long Version, string Content)?> LatestAsync(CancellationToken cancellationToken = default);

    /// <summary>One stored version's content, or null.</summary>
    Task<string?> ContentAsync(long version, CancellationToken cancellationToken = default);

    /// <summary>The stored versions, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<(long Version, DateTimeOffset Time)>> HistoryAsync(int limit, CancellationToken cancellationToken = default);
}
