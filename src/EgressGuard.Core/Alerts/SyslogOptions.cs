namespace EgressGuard.Alerts;

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
