namespace EgressGuard.Policy;

/// <summary>One entry of the ordered list considered for one subject (a name or an address), for explain.</summary>
internal sealed record ExplainStep(string Subject, string Rule, string Action, string Result, string? Detail = null);
