namespace EgressGuard.Admin.Explain;

/// <summary>
/// The body of <c>POST /explain</c>: who asks (address, user, groups), for what (a name or an
/// address, port 443 unless given) and how (<c>method</c>: CONNECT unless given, or GET, POST…
/// as a plain <c>http://</c> request would ask, then decided by the path and method rules on
/// <c>path</c>, <c>/</c> unless given).
/// </summary>
internal sealed record ExplainRequest(string? Client, string? User, List<string>? Groups, string? Destination, int? Port, string? Method = null, string? Path = null);
