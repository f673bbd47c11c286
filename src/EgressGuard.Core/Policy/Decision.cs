namespace EgressGuard.Policy;

/// <summary>
/// The policy's answer for one request, as a value. The same instance builds the client's
/// response, the decision log line and the span; the dialer accepts only addresses listed in
/// <see cref="Approved"/> of an <see cref="DecisionAction.Allow"/> decision.
/// </summary>
internal sealed record Decision
{
    public required DecisionAction Action { get; init; }

    /// <summary>One of <see cref="DecisionReasons"/>.</summary>
    public required string Reason { get; init; }

    /// <summary>The requested destination, or null when the request target could not be parsed.</summary>
    public Target? Target { get; init; }

    /// <summary>The list, feed or rule that decided, e.g. <c>list:bad-ips</c>, <c>guard:non-public</c>.</summary>
    public string? Rule { get; init; }

    /// <summary>
    /// For an allow by a rule with <c>upstream</c>: <c>direct</c> or the parent's name; null: the
    /// default route. The dialer picks the route from this, after the decision is made.
    /// </summary>
    public string? Upstream { get; init; }

    /// <summary>The entry of that list that matched, e.g. <c>203.0.113.0/24</c> or <c>*.bad.example</c>.</summary>
    public string? Entry { get; init; }

    /// <summary>The address (resolved, or embedded in one) that matched an address rule.</summary>
    public IPAddress? MatchedAddress { get; init; }

    /// <summary>The name (requested or in the CNAME chain) that matched a name rule.</summary>
    public string? MatchedName { get; init; }

    /// <summary>Every address the name resolved to (or the literal), all of them checked.</summary>
    public IReadOnlyList<IPAddress> ResolvedAddresses { get; init; } = [];

    /// <summary>Every name of the CNAME chain, all of them checked.</summary>
    public IReadOnlyList<string> CanonicalNames { get; init; } = [];

    /// <summary>Every list or feed entry that matched, enforcing or report-only, most specific first per address.</summary>
    public IReadOnlyList<MatchRecord> Matches { get; init; } = [];

    /// <summary>For an allow: the report-mode entry that would have denied, if any ("would deny").</summary>
    public MatchRecord? WouldDeny { get; init; }

    /// <summary>Addresses the dialer may use, in dial order. Empty unless allowed.</summary>
    public IReadOnlyList<IPAddress> Approved { get; init; } = [];

    /// <summary>Human-readable explanation for the response body and the log.</summary>
    public string? Detail { get; init; }

    public bool IsAllowed => Action == DecisionAction.Allow;

    public static Decision BadRequest(string detail, Target? target = null) => new()
    {
        Action = DecisionAction.Error,
        Reason = DecisionReasons.BadRequest,
        Target = target,
        Detail = detail,
    };
}
