namespace EgressGuard.Audit;

/// <summary>Where the audit trail is shared in fleet mode; implemented by the fleet, so the audit log knows no store.</summary>
internal interface IAuditReplica
{
    /// <summary>Queues one audit line for the shared trail (sent in the background; kept while the store is away).</summary>
    void Append(DateTimeOffset time, string json);

    /// <summary>The fleet's audit lines since <paramref name="from"/>; throws <see cref="Storage.StoreUnavailableException"/> while the store is away.</summary>
    Task<IReadOnlyList<string>> ReadAsync(DateTimeOffset from);
}
