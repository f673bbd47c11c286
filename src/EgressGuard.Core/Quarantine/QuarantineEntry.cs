namespace EgressGuard.Quarantine;

/// <summary>One quarantined source: why, since and until when, and who put it there (<c>auto</c> or an admin).</summary>
internal sealed record QuarantineEntry(IPAddress Address, string Reason, DateTimeOffset Since, DateTimeOffset Until, string By)
{
    /// <summary>The alert that triggered an automatic quarantine.</summary>
    public string? AlertId { get; init; }

    public bool IsActive(DateTimeOffset now) => now < Until;
}
