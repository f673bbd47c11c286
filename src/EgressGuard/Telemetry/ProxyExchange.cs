using EgressGuard.Identity;

namespace EgressGuard.Telemetry;

/// <summary>
/// One proxied request or tunnel from start to end: who asked, what for, the policy's
/// <see cref="Policy.Decision"/>, and what happened (address dialled, status, bytes, duration).
/// Becomes exactly one decision log line.
/// </summary>
internal sealed class ProxyExchange
{
    public required DateTimeOffset Time { get; init; }

    public required long StartTimestamp { get; init; }

    public required string Method { get; init; }

    public IPEndPoint? Client { get; init; }

    /// <summary>Who asked, as the policy sees it: the address, and the user once authenticated.</summary>
    public ClientIdentity Identity
    {
        get => _identity ??= new ClientIdentity(Client?.Address);
        set => _identity = value;
    }

    private ClientIdentity? _identity;

    public ActivityTraceId TraceId { get; set; }

    /// <summary>The request target (or CONNECT request line) as written, kept only when it could not be parsed.</summary>
    public string? RawTarget { get; set; }

    public string? Path { get; set; }

    public string? UserAgent { get; set; }

    public Decision? Decision { get; set; }

    public IPEndPoint? Dialed { get; set; }

    public int Status { get; set; }

    public string? ErrorType { get; set; }

    public long BytesUp { get; set; }

    public long BytesDown { get; set; }

    /// <summary>How a blind tunnel's bytes moved: <c>splice</c> (kernel, zero-copy), <c>copy</c> or <c>pipe</c> (Kestrel's pipes); null otherwise.</summary>
    public string? TunnelRelay { get; set; }

    /// <summary>The parent proxy's name or <c>direct</c> when <c>Upstream:Proxy</c> is set and the exchange was dialled; null otherwise.</summary>
    public string? Upstream { get; set; }

    public TimeSpan Duration { get; set; }

    /// <summary>What the tunnel's ClientHello said (server name, ALPN, version), when it was inspected and was TLS.</summary>
    public Tls.ClientHello? TlsHello { get; set; }

    /// <summary>What the SNI check made of the tunnel's first bytes (<c>same-host</c>, <c>other-host</c>, <c>missing-allowed</c>, <c>unreadable</c>…), null when not inspected.</summary>
    public string? SniCheck { get; set; }

    /// <summary>What TLS interception made of this exchange; null when it was not considered.</summary>
    public InterceptionOutcome? Interception { get; set; }

    /// <summary>Why (the bypass entry, the rule, the mode), and what went wrong if it did.</summary>
    public string? InterceptionReason { get; set; }

    /// <summary>
    /// The reason on the decision line, span, metric and history row alike: the decision's, else
    /// (refused before any decision: untrusted, over the caps, a bad head) the error type.
    /// </summary>
    public string ReasonText => Decision?.Reason ?? ErrorType ?? DecisionReasons.BadRequest;

    /// <summary>As the decision line and span carry it: <c>intercepted: …</c>, <c>not intercepted: …</c> or <c>inner</c>.</summary>
    public string? InterceptionText => Interception switch
    {
        InterceptionOutcome.Intercepted => "intercepted: " + InterceptionReason,
        InterceptionOutcome.NotIntercepted => "not intercepted: " + InterceptionReason,
        InterceptionOutcome.Inner => "inner",
        _ => null,
    };

    /// <summary>The URL scheme, for requests (<c>http</c>; <c>https</c> inside an intercepted tunnel).</summary>
    public string? Scheme { get; set; }

    /// <summary>For a request inside an intercepted tunnel: the tunnel's trace id (the CONNECT's decision line).</summary>
    public ActivityTraceId? TunnelTraceId { get; set; }

    /// <summary>For a tunnel closed because the policy changed: the decision that closed it.</summary>
    public Decision? ClosedBy { get; set; }

    /// <summary>On an aggregated refusal line (Exchange/RefusalLog): the refusals it stands for; 0 otherwise.</summary>
    public int Refusals { get; set; }
}
