namespace EgressGuard.Admin.Explain;

/// <summary>The body of <c>POST /explain</c>: the decision, the HTTP status the client would get, and each step evaluated.</summary>
internal sealed record ExplainDto(DecisionDto Decision, int Status, IEnumerable<ExplainStepDto> Steps, long RulesVersion);
