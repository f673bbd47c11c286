namespace EgressGuard.Admin.Quarantine;

/// <summary>The body of <c>POST /quarantine</c> (address, optional duration and reason) and of <c>.../extend</c> (duration).</summary>
internal sealed record QuarantineRequest(string? Address, string? Duration, string? Reason);
