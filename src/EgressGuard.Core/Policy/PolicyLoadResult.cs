namespace EgressGuard.Policy;

/// <summary>What a load produced: the snapshot (null when anything was wrong), every error and warning, and counts.</summary>
internal sealed record PolicyLoadResult(
    AdminLists? Admin,
    PolicySnapshot? Snapshot,
    IReadOnlyList<string> Errors,
    IReadOnlyList<string> Warnings,
    int IpEntries,
    int DomainEntries,
    IReadOnlyList<string> ListSummaries);
