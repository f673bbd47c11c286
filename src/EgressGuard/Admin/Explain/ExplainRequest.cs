namespace EgressGuard.Admin.Explain;

/// <summary>The body of <c>POST /explain</c>: who asks (address, user, groups) and for what (a name or an address, port 443 unless given).</summary>
internal sealed record ExplainRequest(string? Client, string? User, List<string>? Groups, string? Destination, int? Port);
