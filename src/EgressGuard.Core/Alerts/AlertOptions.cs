namespace EgressGuard.Alerts;

/// <summary>Configuration section <c>Alerts</c>: raising, deduplicating and delivering security alerts.</summary>
internal sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Raise alerts for denies caused by a threat feed or by a rule marked <c>alert: true</c>. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// One alert per source + destination within this window: a beaconing implant gives one alert
    /// with a growing count, and a new one (a reminder that it still tries) when the window has passed.
    /// Default 10 minutes.
    /// </summary>
    public TimeSpan DedupWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Alerts kept in memory for <c>GET /alerts</c>. Default 1000.</summary>
    public int Keep { get; set; } = 1000;

    /// <summary>Alerts waiting per destination (webhook or syslog) before new ones are dropped and counted. Default 1000.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Delivery attempts per alert and destination (exponential backoff from 1 s, at most 60 s apart). Default 6.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Where new alerts are POSTed as JSON.</summary>
    public List<WebhookOptions> Webhooks { get; set; } = [];

    public SyslogOptions Syslog { get; set; } = new();
}

/// <summary>One webhook: <c>Alerts:Webhooks:N:Url</c> and an optional <c>Secret</c> for the HMAC signature.</summary>
internal sealed class WebhookOptions
{
    /// <summary>http(s) URL the alert JSON is POSTed to.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>
    /// When set, each POST carries <c>X-EgressGuard-Signature: sha256=HEX</c>, the HMAC-SHA256 of
    /// <c>TIMESTAMP.BODY</c> with this secret (timestamp in <c>X-EgressGuard-Timestamp</c>), so the
    /// receiver can check origin and freshness. Never logged.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Per-attempt timeout. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary><c>Alerts:Syslog</c>: RFC 5424 messages to a SIEM.</summary>
internal sealed class SyslogOptions
{
    /// <summary><c>udp://host:port</c> or <c>tcp://host:port</c> (RFC 6587 octet counting). Default: off.</summary>
    public string? Address { get; set; }

    /// <summary>Syslog facility number (0–23). Default 16 (local0).</summary>
    public int Facility { get; set; } = 16;

    /// <summary>APP-NAME of the messages. Default <c>egressguard</c>.</summary>
    public string AppName { get; set; } = "egressguard";
}
