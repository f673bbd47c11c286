namespace EgressGuard.Telemetry;

/// <summary>
/// Every <c>error.type</c> the proxy writes that is not a decision reason (those are in
/// <see cref="Policy.DecisionReasons"/>): how an exchange ended when it did not end well. One
/// vocabulary for the decision line, the span, the Squid log and the metrics; dashboards and
/// alert rules match on these strings, so they never change once shipped.
/// </summary>
internal static class ErrorTypes
{
    // The client side.
    public const string ClientClosed = "client-closed";
    public const string ClientReset = "client-reset";
    public const string ClientSendFailed = "client-send-failed";

    // Dialling (see Dialing.DialException).
    public const string ConnectRefused = "connect-refused";
    public const string ConnectTimeout = "connect-timeout";
    public const string ConnectUnreachable = "connect-unreachable";
    public const string ConnectFailed = "connect-failed";

    // Dialling through the parent proxy (Upstream:Proxy): it answered the CONNECT with a non-2xx, or could not be reached.
    public const string ParentRefused = "parent-refused";
    public const string ParentUnreachable = "parent-unreachable";

    // The upstream side of a forwarded request or a tunnel.
    public const string UpstreamTimeout = "upstream-timeout";
    public const string UpstreamFailed = "upstream-failed";
    public const string UpstreamTls = "upstream-tls";
    public const string UpstreamReset = "upstream-reset";
    public const string UpstreamSendFailed = "upstream-send-failed";

    // A tunnel's life.
    public const string IdleTimeout = "idle-timeout";
    public const string MaxLifetime = "max-lifetime";

    // TLS inspection and interception.
    public const string NotTls = "not-tls";
    public const string InterceptNotTls = "intercept-not-tls";
    public const string TlsMintFailed = "tls-mint-failed";
    public const string TlsClientHandshake = "tls-client-handshake";
    public const string TlsHandshakeTimeout = "tls-handshake-timeout";
}
