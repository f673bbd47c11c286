namespace EgressGuard.Telemetry;

/// <summary>
/// One vocabulary for the decision log, span attributes and metric tags. OpenTelemetry semantic
/// convention names where one exists, <c>egressguard.*</c> otherwise. Add, never rename: admins'
/// queries and SIEM parsers depend on these.
/// </summary>
internal static class LogFields
{
    public const string Time = "time";
    public const string Event = "event";

    /// <summary>The node that decided (<c>Node:Name</c>): a fleet's nodes write to the same places.</summary>
    public const string Node = "egressguard.node";
    public const string TraceId = "trace_id";
    public const string ClientAddress = "client.address";
    public const string ClientPort = "client.port";
    public const string Method = "http.request.method";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string UrlPath = "url.path";
    public const string RequestTarget = "egressguard.request_target";
    public const string UserAgent = "user_agent.original";
    public const string User = "enduser.id";
    public const string Groups = "egressguard.groups";
    public const string ClientName = "egressguard.client.name";
    public const string PeerAddress = "network.peer.address";
    public const string PeerPort = "network.peer.port";
    public const string StatusCode = "http.response.status_code";
    public const string ErrorType = "error.type";
    public const string TlsServerName = "tls.client.server_name";
    public const string TlsVersion = "tls.protocol.version";
    public const string TlsAlpn = "egressguard.tls.alpn";
    public const string TlsSniCheck = "egressguard.tls.sni_check";
    public const string TlsInterception = "egressguard.tls.interception";
    public const string UrlScheme = "url.scheme";
    public const string TunnelTraceId = "egressguard.tunnel.trace_id";
    public const string Decision = "egressguard.decision";
    public const string Reason = "egressguard.reason";
    public const string Rule = "egressguard.rule";
    public const string Feed = "egressguard.feed";
    public const string Entry = "egressguard.entry";
    public const string MatchedAddress = "egressguard.matched_address";
    public const string MatchedName = "egressguard.matched_name";
    public const string ResolvedAddresses = "egressguard.resolved_addresses";
    public const string CanonicalNames = "egressguard.cnames";
    public const string Detail = "egressguard.detail";
    public const string Matches = "egressguard.matches";
    public const string WouldDeny = "egressguard.would_deny";
    public const string ClosedByReason = "egressguard.closed_by.reason";
    public const string ClosedByRule = "egressguard.closed_by.rule";
    public const string ClosedByEntry = "egressguard.closed_by.entry";
    public const string BytesUp = "egressguard.bytes_up";
    public const string BytesDown = "egressguard.bytes_down";
    public const string TunnelRelay = "egressguard.tunnel.relay";

    /// <summary>Who carried an allowed exchange when <c>Upstream:Proxy</c> is set: the parent's name (<c>host:port</c>) or <c>direct</c>.</summary>
    public const string Upstream = "egressguard.upstream";
    public const string DurationMs = "egressguard.duration_ms";

    /// <summary>On an aggregated refusal line: how many refusals of this client and reason it stands for.</summary>
    public const string Refusals = "egressguard.refusals";

    // Metric tags only (not on decision lines).
    /// <summary>up: client to upstream; down: upstream to client.</summary>
    public const string Direction = "egressguard.direction";
    public const string Outcome = "egressguard.outcome";
    public const string Cause = "egressguard.cause";
    public const string TlsOutcome = "egressguard.tls.outcome";
    public const string DnsOutcome = "egressguard.dns.outcome";
    public const string ConnectOutcome = "egressguard.connect.outcome";
    public const string Sink = "egressguard.sink";
    public const string AlertKind = "egressguard.alert.kind";
    public const string AlertNew = "egressguard.alert.new";

    // Alert lines, and the alert event on the request's span.
    public const string AlertEvent = "egressguard.alert";
    public const string AlertId = "egressguard.alert.id";
    public const string AlertCount = "egressguard.alert.count";
    public const string AlertFirstSeen = "egressguard.alert.first_seen";

    /// <summary>The span event's name for the feed or rule category (the alert line says <see cref="Category"/>).</summary>
    public const string AlertCategory = "egressguard.alert.category";
    public const string Category = "egressguard.category";
}
