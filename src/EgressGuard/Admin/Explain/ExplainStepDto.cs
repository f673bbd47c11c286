namespace EgressGuard.Admin.Explain;

/// <summary>One step of <see cref="ExplainDto"/>: the name or address checked, against which rule, and with what result.</summary>
internal sealed record ExplainStepDto(string Subject, string Rule, string Action, string Result, string? Detail);
