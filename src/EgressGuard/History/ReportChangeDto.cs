namespace EgressGuard.History;

/// <summary>One of <see cref="ReportDto.Changes"/>: an audit log entry (a rule or quarantine change) in the period.</summary>
internal sealed record ReportChangeDto(string? Time, string? Actor, string? Action, string? Subject);
