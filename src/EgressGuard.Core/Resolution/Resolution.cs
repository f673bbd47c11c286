namespace EgressGuard.Resolution;

/// <summary>
/// The answer for one name: every A and AAAA address (canonicalised, in the server's order, IPv4
/// first) and every name of its CNAME chain. All of them are checked by the policy.
/// </summary>
internal sealed record Resolution(
    IReadOnlyList<IPAddress> Addresses,
    IReadOnlyList<string> CanonicalNames,
    ResolutionError Error,
    string? ErrorDetail,
    TimeSpan TimeToLive)
{
    public bool Succeeded => Error == ResolutionError.None;

    public static Resolution Failed(ResolutionError error, string detail, IReadOnlyList<string>? names = null, TimeSpan ttl = default) =>
        new([], names ?? [], error, detail, ttl);
}
