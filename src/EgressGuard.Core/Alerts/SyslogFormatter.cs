namespace EgressGuard.Alerts;

/// <summary>
/// An alert as an RFC 5424 syslog message:
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [egressguard@32473 …] BOM MSG</c>.
/// Severity is warning (4); the structured data carries every field a SIEM parses, the MSG says it
/// in words. 32473 is the private enterprise number RFC 5612 reserves for examples; SIEM rules
/// match on the SD-ID <c>egressguard@32473</c>.
/// </summary>
internal static class SyslogFormatter
{
    public const string StructuredDataId = "egressguard@32473";
    private const int Warning = 4;

    public static string Format(Alert alert, int facility, string hostName, string appName, int processId)
    {
        var pri = (facility * 8) + Warning;
        var sd = new StringBuilder("[").Append(StructuredDataId);
        Param(sd, "id", alert.Id);
        Param(sd, "kind", alert.Kind);
        Param(sd, "src", alert.SourceAddress?.ToString());
        Param(sd, "user", alert.User);
        Param(sd, "dst", alert.Destination);
        Param(sd, "dstPort", alert.Port.ToString(CultureInfo.InvariantCulture));
        Param(sd, "dstAddresses", alert.ResolvedAddresses.Count == 0 ? null : string.Join(',', alert.ResolvedAddresses));
        Param(sd, "rule", alert.Rule);
        Param(sd, "entry", alert.Entry);
        Param(sd, "feed", alert.Feed);
        Param(sd, "category", alert.Category);
        Param(sd, "count", alert.Count.ToString(CultureInfo.InvariantCulture));
        Param(sd, "firstSeen", alert.FirstSeen.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        Param(sd, "traceId", alert.TraceId);
        sd.Append(']');

        return string.Create(CultureInfo.InvariantCulture, $"<{pri}>1 {alert.LastSeen.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {Token(hostName, 255)} {Token(appName, 48)} {processId} alert {sd} \uFEFFEgressGuard alert: {alert.Summary}");
    }

    /// <summary>RFC 5424 §6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped with '\'.</summary>
    private static void Param(StringBuilder sd, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        sd.Append(' ').Append(name).Append("=\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\' or ']')
            {
                sd.Append('\\');
            }

            sd.Append(c);
        }

        sd.Append('"');
    }

    /// <summary>Header fields are printable US-ASCII without spaces; "-" when empty.</summary>
    private static string Token(string value, int max)
    {
        var clean = new string(value.Where(c => c is > ' ' and <= '~').Take(max).ToArray());
        return clean.Length == 0 ? "-" : clean;
    }
}
