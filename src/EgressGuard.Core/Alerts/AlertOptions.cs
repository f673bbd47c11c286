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
