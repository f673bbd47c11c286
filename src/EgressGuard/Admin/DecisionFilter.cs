namespace EgressGuard.Admin;

/// <summary>
/// The filters of <c>GET /decisions/stream</c>, read as <c>GET /decisions</c> reads its own:
/// decision (<c>allow</c>, <c>deny</c>, <c>error</c>…) and client address exactly, destination as a
/// part of the requested host; plus user (case-insensitive) and reason exactly. Unset matches all.
/// </summary>
internal sealed record DecisionFilter(string? Decision, string? Client, string? Destination, string? User, string? Reason)
{
    public bool Matches(ProxyExchange x)
    {
        var decision = x.Decision is null ? "error" : DecisionLogFormatter.ActionName(x.Decision.Action);
        return (Decision is null || string.Equals(decision, Decision, StringComparison.OrdinalIgnoreCase))
            && (Client is null || x.Client?.Address.ToString() == Client)
            && (Destination is null || (x.Decision?.Target?.Host ?? x.RawTarget ?? string.Empty).Contains(Destination, StringComparison.OrdinalIgnoreCase))
            && (User is null || string.Equals(x.Identity.User, User, StringComparison.OrdinalIgnoreCase))
            && (Reason is null || string.Equals(x.Decision?.Reason ?? Policy.DecisionReasons.BadRequest, Reason, StringComparison.Ordinal));
    }
}
