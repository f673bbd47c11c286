namespace EgressGuard.Admin.Rules;

/// <summary>The body of <c>POST /rules/reorder</c>: every rule id, each once, in the new order.</summary>
internal sealed record ReorderRequest(List<string>? Order);
