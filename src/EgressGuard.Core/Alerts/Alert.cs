namespace EgressGuard.Alerts;

/// <summary>
/// A security alert: a source that tried to reach a destination a threat feed (or a rule marked
/// <c>alert</c>) lists. Immutable; a repeat within the dedup window produces a copy with a higher
/// <see cref="Count"/> and a later <see cref="LastSeen"/>.
/// </summary>
internal sealed record Alert
{
    /// <summary>Stable id, e.g. <c>a-20261129-0f3a9c2e</c>: webhook deliveries and the API use it.</summary>
    public required string Id { get; init; }

    /// <summary><c>threat-feed</c>, <c>rule</c> or <c>retro-hunt</c>.</summary>
    public required string Kind { get; init; }

    public required IPAddress? SourceAddress { get; init; }

    /// <summary>The proxy user or client certificate subject, when known.</summary>
    public string? User { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>The <c>Identity:Map</c> name of the source address, if any.</summary>
    public string? Device { get; init; }

    public required string Destination { get; init; }

    public int Port { get; init; }

    public IReadOnlyList<IPAddress> ResolvedAddresses { get; init; } = [];

    /// <summary>The feed or rule that decided, e.g. <c>feed:feodo</c>, <c>rule:block-c2</c>.</summary>
    public string? Rule { get; init; }

    public string? Entry { get; init; }

    public string? Feed { get; init; }

    /// <summary>The feed's category, e.g. <c>c2</c>.</summary>
    public string? Category { get; init; }

    /// <summary>The request's method (CONNECT, GET…).</summary>
    public string? Method { get; init; }

    /// <summary>Trace id of the first attempt: the decision line and span of it.</summary>
    public string? TraceId { get; init; }

    public required DateTimeOffset FirstSeen { get; init; }

    public required DateTimeOffset LastSeen { get; init; }

    public long Count { get; init; } = 1;

    /// <summary>The node that raised it (<c>Node:Name</c>).</summary>
    public string? Node { get; init; }

    /// <summary>A sentence for people (syslog MSG, logs).</summary>
    public string Summary => Kind == "retro-hunt"
        ? $"{Who} reached {Destination}:{Port}{Addresses} {Count} time(s) between {FirstSeen:u} and {LastSeen:u}, before {Rule} listed it{EntryText}{CategoryText}"
        : $"{Who} tried {Destination}:{Port}{Addresses}, blocked by {Rule}{EntryText}{CategoryText}" + (Count > 1 ? $", {Count} attempts" : string.Empty);

    /// <summary>The address, its <c>Identity:Map</c> name, the user and the user's groups: who to call.</summary>
    private string Who =>
        $"{SourceAddress}{(Device is null ? string.Empty : $" [{Device}]")}"
        + (User is null ? string.Empty : $" ({User}{(Groups.Count > 0 ? "; groups " + string.Join(", ", Groups) : string.Empty)})");

    private string Addresses => ResolvedAddresses.Count > 0 ? $" [{string.Join(", ", ResolvedAddresses)}]" : string.Empty;

    private string EntryText => Entry is null ? string.Empty : $" (entry {Entry})";

    private string CategoryText => Category is null ? string.Empty : $", category {Category}";
}
