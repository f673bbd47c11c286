using System.Net;
using System.Net.Sockets;
using EgressGuard.Addressing;
using EgressGuard.Resolution;

namespace EgressGuard.Policy;

/// <summary>
/// Decides a destination, in this order:
/// 1. the requested name against the domain lists (before any DNS query: a listed C2 name is never looked up);
/// 2. resolve (unless an IP literal); a failure is an error decision naming the DNS error;
/// 3. every CNAME of the chain against the domain lists;
/// 4. every address (and embedded IPv4) against the bad-IP lists, then the non-public guard;
/// 5. allow, with the checked addresses in dial order.
/// </summary>
internal sealed class EgressPolicy
{
    private readonly IPolicySource _policy;
    private readonly IResolver _resolver;
    private readonly AddressPreference _preference;

    public EgressPolicy(IPolicySource policy, IResolver resolver, AddressPreference preference)
    {
        _policy = policy;
        _resolver = resolver;
        _preference = preference;
    }

    public async ValueTask<Decision> DecideAsync(Target target, CancellationToken cancellationToken)
    {
        var snapshot = _policy.Current;
        if (snapshot.MissingRequiredFeeds.Count > 0)
        {
            return new Decision
            {
                Action = DecisionAction.Error,
                Reason = DecisionReasons.FeedUnavailable,
                Target = target,
                Rule = "feed:" + snapshot.MissingRequiredFeeds[0],
                Detail = $"required threat feed {string.Join(", ", snapshot.MissingRequiredFeeds)} has not loaded yet; egress is refused until it does (fail closed)",
            };
        }

        if (target.Literal is { } literal)
        {
            IPAddress[] literalAddresses = [literal];
            return WithAddresses(snapshot.CheckAddresses(target, literalAddresses, out var literalMatches), target, literalAddresses, [])
                ?? Allow(target, literalAddresses, [], literalAddresses, literalMatches);
        }

        // 1. The requested name.
        List<MatchRecord>? reported = null;
        if (snapshot.CheckName(target, target.Host, out var hostReported) is { } nameDenied)
        {
            return nameDenied;
        }

        AddReported(ref reported, hostReported);

        // 2. Resolve.
        var resolution = await _resolver.ResolveAsync(target.Host, cancellationToken).ConfigureAwait(false);

        // 3. The CNAME chain, even when resolution failed part-way.
        foreach (var alias in resolution.CanonicalNames)
        {
            if (snapshot.CheckName(target, alias, out var aliasReported) is { } aliasDenied)
            {
                return aliasDenied with { ResolvedAddresses = resolution.Addresses, CanonicalNames = resolution.CanonicalNames };
            }

            AddReported(ref reported, aliasReported);
        }

        if (!resolution.Succeeded)
        {
            return new Decision
            {
                Action = DecisionAction.Error,
                Reason = resolution.Error switch
                {
                    ResolutionError.NxDomain => DecisionReasons.DnsNxDomain,
                    ResolutionError.Timeout => DecisionReasons.DnsTimeout,
                    ResolutionError.NoAddresses => DecisionReasons.DnsNoAddress,
                    ResolutionError.CnameChain => DecisionReasons.DnsCnameChain,
                    _ => DecisionReasons.DnsServerFailure,
                },
                Target = target,
                CanonicalNames = resolution.CanonicalNames,
                Detail = resolution.ErrorDetail,
            };
        }

        // 4. Every address.
        var addresses = resolution.Addresses;
        var denied = snapshot.CheckAddresses(target, addresses, out var matches);
        if (reported is not null)
        {
            reported.AddRange(matches ?? []);
            matches = reported;
        }

        return WithAddresses(denied, target, addresses, resolution.CanonicalNames)
            ?? Allow(target, addresses, resolution.CanonicalNames, Order(addresses), matches);
    }

    private static void AddReported(ref List<MatchRecord>? reported, MatchRecord? record)
    {
        if (record is not null)
        {
            (reported ??= []).Add(record);
        }
    }

    private static Decision? WithAddresses(Decision? denied, Target target, IReadOnlyList<IPAddress> addresses, IReadOnlyList<string> names) =>
        denied is null ? null : denied with { Target = target, ResolvedAddresses = addresses, CanonicalNames = names };

    private static Decision Allow(Target target, IReadOnlyList<IPAddress> addresses, IReadOnlyList<string> names, IReadOnlyList<IPAddress> approved, List<MatchRecord>? matches) => new()
    {
        Action = DecisionAction.Allow,
        Reason = DecisionReasons.Allowed,
        Target = target,
        ResolvedAddresses = addresses,
        CanonicalNames = names,
        Approved = approved,
        Matches = matches ?? [],
        WouldDeny = matches?[0],
    };

    private IReadOnlyList<IPAddress> Order(IReadOnlyList<IPAddress> addresses)
    {
        if (_preference == AddressPreference.Resolver || addresses.Count < 2)
        {
            return addresses;
        }

        var first = _preference == AddressPreference.IPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        var ordered = new List<IPAddress>(addresses.Count);
        ordered.AddRange(addresses.Where(a => a.AddressFamily == first));
        ordered.AddRange(addresses.Where(a => a.AddressFamily != first));
        return ordered;
    }
}
