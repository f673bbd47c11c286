using EgressGuard.Identity;
using EgressGuard.Quarantine;
using EgressGuard.Resolution;
using EgressGuard.Rules;

namespace EgressGuard.Policy;

/// <summary>
/// Decides a destination for a client, in this order:
/// 1. fail closed while a required feed has never loaded;
/// 2. the requested name through the ordered list (before any DNS query: a denied name is never looked up);
/// 3. resolve (unless an IP literal); a failure is an error decision naming the DNS error;
/// 4. every CNAME of the chain through the list;
/// 5. every address (and the IPv4 embedded in it) through the list;
/// 6. any subject denied → deny; else allowed, unless no entry allowed anything and the default is deny;
///    the checked addresses are approved in dial order;
/// 7. a quarantined client's allow becomes a deny, unless the destination is on the remediation list.
/// </summary>
internal sealed class EgressPolicy
{
    private readonly IPolicySource _policy;
    private readonly IResolver _resolver;
    private readonly AddressPreference _preference;
    private readonly TimeProvider _time;
    private readonly DecisionCache _cache = new();
    private readonly ISelfEndpoints? _self;
    private readonly QuarantineStore? _quarantine;

    public EgressPolicy(IPolicySource policy, IResolver resolver, AddressPreference preference, TimeProvider? time = null, ISelfEndpoints? self = null, QuarantineStore? quarantine = null)
    {
        _quarantine = quarantine;
        _self = self;
        _policy = policy;
        _resolver = resolver;
        _preference = preference;
        _time = time ?? TimeProvider.System;
    }

    public ValueTask<Decision> DecideAsync(Target target, CancellationToken cancellationToken) =>
        DecideAsync(target, ClientIdentity.Unknown, cancellationToken);

    public ValueTask<Decision> DecideAsync(Target target, ClientIdentity client, CancellationToken cancellationToken) =>
        DecideCoreAsync(_policy.Current, target, client, null, null, cancellationToken);

    /// <summary>
    /// Decides against the snapshot the caller captured: one request sees one policy from its
    /// first check to its last (the connection, its TLS name, its path, the interception choice).
    /// </summary>
    /// <param name="method">The method asking (CONNECT for a tunnel); rules with <c>methods</c> decide only theirs; null: any.</param>
    public ValueTask<Decision> DecideAsync(PolicySnapshot snapshot, Target target, ClientIdentity client, CancellationToken cancellationToken, string? method = null) =>
        DecideCoreAsync(snapshot, target, client, RuleMethods.Normalize(method), null, cancellationToken);

    /// <summary>The snapshot a new request captures.</summary>
    public PolicySnapshot Current => _policy.Current;

    /// <summary>The same decision, resolving like a real request, with every entry considered; nothing is dialled.</summary>
    public Task<(Decision Decision, IReadOnlyList<ExplainStep> Steps)> ExplainAsync(Target target, ClientIdentity client, CancellationToken cancellationToken) =>
        ExplainAsync(_policy.Current, target, client, null, cancellationToken);

    /// <inheritdoc cref="ExplainAsync(Target, ClientIdentity, CancellationToken)"/>
    public async Task<(Decision Decision, IReadOnlyList<ExplainStep> Steps)> ExplainAsync(PolicySnapshot snapshot, Target target, ClientIdentity client, string? method, CancellationToken cancellationToken)
    {
        var steps = new List<ExplainStep>();
        var decision = await DecideCoreAsync(snapshot, target, client, RuleMethods.Normalize(method), steps, cancellationToken).ConfigureAwait(false);
        return (decision, steps);
    }

    /// <summary>
    /// Re-checks an established connection against a new snapshot: its names and the address it is
    /// connected to. Returns the deny, or null when it may stay.
    /// </summary>
    public static Decision? Recheck(PolicySnapshot snapshot, Decision decision, IPAddress dialed, ClientIdentity client, DateTimeOffset now) =>
        Recheck(snapshot, decision, dialed, client, now, out _);

    /// <param name="allowedBy">When it may stay: the rule that allows it under the new snapshot (null: the default).</param>
    public static Decision? Recheck(PolicySnapshot snapshot, Decision decision, IPAddress dialed, ClientIdentity client, DateTimeOffset now, out string? allowedBy)
    {
        allowedBy = null;
        var target = decision.Target!;
        var context = new EvaluationContext(target, client, now);
        if (target.Literal is null)
        {
            context.Names.Add(target.Host);
            context.Names.AddRange(decision.CanonicalNames);
        }

        foreach (var name in context.Names)
        {
            if (snapshot.EvaluateName(name, context).Denied is { } nameDenied)
            {
                return nameDenied;
            }
        }

        if (snapshot.EvaluateAddress(dialed, context).Denied is { } addressDenied)
        {
            return addressDenied;
        }

        allowedBy = context.AllowedBy;
        return context.AllowedBy is null && !snapshot.Rules.DefaultAllow ? PolicyDenials.Default(target, context) : null;
    }

    private async ValueTask<Decision> DecideCoreAsync(PolicySnapshot snapshot, Target target, ClientIdentity client, string? method, List<ExplainStep>? trace, CancellationToken cancellationToken)
    {
        // 1. Fail closed.
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

        // A repeat of a destination under the same policy and the same DNS answer needs no
        // evaluation: the decision cannot differ (rules that look at the client opt out).
        var now = _time.GetUtcNow();
        var cacheable = trace is null && snapshot.Rules.ClientIndependent && now < snapshot.Rules.NextExpiry;
        // Only a DNS answer already cached is looked at here: a name is never resolved before its
        // own check (a listed C2 name is never looked up).
        Resolution.Resolution? resolved = null;
        if (cacheable && (target.Literal is not null || _resolver.TryGetCached(target.Host, out resolved))
            && _cache.TryGet(target, snapshot.Version, resolved, out var cached))
        {
            return Contain(cached, client, trace);
        }

        var context = new EvaluationContext(target, client, now, trace) { Method = method };
        var decision = await EvaluateAsync(snapshot, context, cancellationToken).ConfigureAwait(false);
        if (cacheable && decision.Action is DecisionAction.Allow or DecisionAction.Deny)
        {
            // Keyed by the very answer the decision was made from.
            _cache.Add(target, snapshot.Version, context.Resolution, decision);
        }

        return Contain(decision, client, trace);
    }

    /// <summary>7. Quarantine: applied after the destination's own decision (and after the cache), per client.</summary>
    private Decision Contain(Decision decision, ClientIdentity client, List<ExplainStep>? trace)
    {
        if (_quarantine is null || !decision.IsAllowed || client.Address is not { } address || !_quarantine.TryGet(address, out var entry))
        {
            return decision;
        }

        var subject = $"client {entry.Address}";
        if (_quarantine.Remediation.Allows(decision))
        {
            trace?.Add(new ExplainStep(subject, "quarantine", "allow", "remediation", $"quarantined until {entry.Until:u}, but the destination is on Quarantine:Remediation"));
            return decision;
        }

        var detail = $"client {entry.Address} is quarantined until {entry.Until:u} ({entry.Reason}); only remediation destinations are reachable";
        trace?.Add(new ExplainStep(subject, "quarantine", "deny", "match", detail));
        return decision with
        {
            Action = DecisionAction.Deny,
            Reason = DecisionReasons.Quarantined,
            Rule = "quarantine",
            Entry = entry.Address.ToString(),
            Approved = [],
            Detail = detail,
        };
    }

    private async ValueTask<Decision> EvaluateAsync(PolicySnapshot snapshot, EvaluationContext context, CancellationToken cancellationToken)
    {
        var target = context.Target;
        IReadOnlyList<IPAddress> addresses;
        IReadOnlyList<string> names = [];
        if (target.Literal is { } literal)
        {
            addresses = [literal];
        }
        else
        {
            // 2. The requested name.
            context.Names.Add(target.Host);
            if (snapshot.EvaluateName(target.Host, context).Denied is { } nameDenied)
            {
                return nameDenied;
            }

            // 3. Resolve.
            var resolution = await _resolver.ResolveAsync(target.Host, cancellationToken).ConfigureAwait(false);
            context.Resolution = resolution;
            names = resolution.CanonicalNames;

            // 4. The CNAME chain, even when resolution failed part-way.
            foreach (var alias in resolution.CanonicalNames)
            {
                context.Names.Add(alias);
                if (snapshot.EvaluateName(alias, context).Denied is { } aliasDenied)
                {
                    return aliasDenied with { ResolvedAddresses = resolution.Addresses, CanonicalNames = names };
                }
            }

            if (!resolution.Succeeded)
            {
                return PolicyDenials.DnsFailure(target, resolution);
            }

            addresses = resolution.Addresses;
        }

        // 5. Every address. When several are denied, the earliest entry of the list is reported:
        //    a feed's C2 hit, not the guard's "non-public" for a second address.
        Decision? denied = null;
        var deniedAt = int.MaxValue;
        foreach (var address in addresses)
        {
            var (_, addressDenied, position) = snapshot.EvaluateAddress(address, context);
            if (addressDenied is not null && position < deniedAt)
            {
                (denied, deniedAt) = (addressDenied, position);
            }
        }

        if (denied is not null)
        {
            return denied with { ResolvedAddresses = addresses, CanonicalNames = names, Matches = context.Matches ?? denied.Matches };
        }

        // 6. Never ourselves: a loop through the proxy, or a way to the admin API from a client.
        if (_self is not null && addresses.FirstOrDefault(a => _self.IsSelf(a, target.Port)) is { } self)
        {
            return new Decision
            {
                Action = DecisionAction.Deny,
                Reason = DecisionReasons.SelfLoop,
                Target = target,
                Rule = "guard:self",
                Entry = $"{self}:{target.Port}",
                MatchedAddress = self,
                ResolvedAddresses = addresses,
                CanonicalNames = names,
                Detail = $"{self}:{target.Port} is one of EgressGuard's own listeners",
            };
        }

        // 7. The connection default, then allow.
        if (context.AllowedBy is null && !snapshot.Rules.DefaultAllow)
        {
            return PolicyDenials.Default(target, context) with { ResolvedAddresses = addresses, CanonicalNames = names };
        }

        return new Decision
        {
            Action = DecisionAction.Allow,
            Reason = DecisionReasons.Allowed,
            Target = target,
            Rule = context.AllowedBy,
            Upstream = context.AllowedUpstream,
            ResolvedAddresses = addresses,
            CanonicalNames = names,
            Approved = Order(addresses),
            Matches = context.Matches ?? [],
            WouldDeny = context.WouldDeny,
        };
    }

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
