using EgressGuard.Identity;
using EgressGuard.Lists;

namespace EgressGuard.Rules;

/// <summary>
/// A compiled, validated rule: matchers ready for the request path. Destination matchers are of
/// two kinds: names (match the requested name and its CNAMEs) and addresses (match every resolved
/// address); a rule with both matches an address when the address and the name both match.
/// </summary>
internal sealed class Rule
{
    public required string Id { get; init; }

    public required RuleKind Kind { get; init; }

    public bool IsAllow { get; init; }

    public EnforcementMode Mode { get; init; } = EnforcementMode.Enforce;

    public DateTimeOffset? Expires { get; init; }

    public DomainSet? Names { get; init; }

    public IpRangeIndex? Addresses { get; init; }

    public IReadOnlyList<PortRange> Ports { get; init; } = [];

    public IpRangeIndex? Sources { get; init; }

    public IReadOnlyList<string> Users { get; init; } = [];

    public IReadOnlyList<string> Groups { get; init; } = [];

    public IReadOnlyList<string> Feeds { get; init; } = [];

    /// <summary>URL path patterns; empty for a rule that decides connections.</summary>
    public IReadOnlyList<PathPattern> Paths { get; init; } = [];

    /// <summary>HTTP methods, upper case; empty for a rule that takes every method.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>The rule's <c>inspect</c> setting.</summary>
    public InspectMode Inspect { get; init; }

    /// <summary>The allow rule's <c>upstream</c>: <c>direct</c>, a parent's name, or null for the default route.</summary>
    public string? Upstream => Definition.Upstream;

    public bool HasPaths => Paths.Count > 0;

    /// <summary>A rule about tunnels (<c>methods: [CONNECT]</c>): it decides CONNECTs and nothing else.</summary>
    public bool IsConnectRule => Methods.Count > 0 && Methods[0] == RuleMethods.Connect;

    /// <summary>
    /// Decided per request, where the path and method are known (plain <c>http://</c>, intercepted
    /// tunnels): a rule with paths, or with methods other than CONNECT. Connection walks skip it.
    /// </summary>
    public bool IsPerRequest => HasPaths || (Methods.Count > 0 && !IsConnectRule);

    /// <summary>The rule as written, for the API and explain output.</summary>
    public required RuleDto Definition { get; init; }

    public bool HasNames => Names is not null;

    public bool HasAddresses => Addresses is not null;

    public bool HasFeeds => Feeds.Count > 0;

    /// <summary>A deny by this rule raises an alert (<c>"alert": true</c>).</summary>
    public bool Alert => Definition.Alert == true;

    /// <summary>The label decisions use: <c>rule:ID</c> for admin rules, the entry's own name for built-ins.</summary>
    public string Label => Kind == RuleKind.User ? "rule:" + Id : Id;

    public string Action => IsAllow ? "allow" : "deny";

    public bool IsExpired(DateTimeOffset now) => Expires is { } expires && expires <= now;

    /// <summary>The conditions besides the destination: port, client range, user, group, expiry, method.</summary>
    /// <param name="method">The request's method (upper case); null: any method (a walk that stands for every request a tunnel may carry).</param>
    public bool AppliesTo(int port, ClientIdentity client, DateTimeOffset now, string? method = null)
    {
        if (IsExpired(now))
        {
            return false;
        }

        if (method is not null && Methods.Count > 0 && !Methods.Contains(method, StringComparer.Ordinal))
        {
            return false;
        }

        if (Ports.Count > 0 && !Ports.Any(p => p.Contains(port)))
        {
            return false;
        }

        if (Sources is not null && (client.Address is null || !Sources.Contains(AddressNormalizer.Canonicalize(client.Address))))
        {
            return false;
        }

        if (Users.Count > 0 && (client.User is null || !Users.Contains(client.User, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        // Unknown directory groups fail closed: a group deny still applies, a group allow does not.
        if (Groups.Count > 0 && !client.GroupList.Any(g => Groups.Contains(g, StringComparer.OrdinalIgnoreCase)) && !(client.GroupsUnknown && !IsAllow))
        {
            return false;
        }

        return true;
    }

    /// <summary>Whether a feed source (name <c>feed:X</c>, category) is one this rule names.</summary>
    public bool NamesFeed(ListSource source) =>
        source.Name.StartsWith("feed:", StringComparison.Ordinal)
        && Feeds.Any(f => f == "*" || string.Equals(f, source.Name[5..], StringComparison.OrdinalIgnoreCase) || string.Equals(f, source.Category, StringComparison.OrdinalIgnoreCase));

    public bool MatchesAddress(IPAddress address) => Addresses!.Contains(address);

    /// <summary>
    /// Whether the destination matchers take this connection: a name matcher one of its names, an
    /// address matcher its address, both when the rule has both; no matcher takes everything.
    /// </summary>
    public bool MatchesDestination(IReadOnlyList<string> names, IPAddress? address)
    {
        if (HasNames && !names.Any(n => Names!.TryMatch(n, out _)))
        {
            return false;
        }

        return !HasAddresses || (address is not null && (MatchesAddress(address) || AddressNormalizer.EmbeddedIPv4(address).Any(MatchesAddress)));
    }
}
