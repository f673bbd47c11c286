using System.Globalization;

namespace EgressGuard.Alerts;

/// <summary>The alert's two shapes: flat dotted fields for the decision log, nested JSON for webhooks and the API.</summary>
internal static class AlertJson
{
    public static IReadOnlyDictionary<string, object?> LogFields(Alert a) => new Dictionary<string, object?>
    {
        ["egressguard.alert.id"] = a.Id,
        ["egressguard.alert.kind"] = a.Kind,
        [Telemetry.LogFields.ClientAddress] = a.SourceAddress?.ToString(),
        [Telemetry.LogFields.User] = a.User,
        [Telemetry.LogFields.ServerAddress] = a.Destination,
        [Telemetry.LogFields.ServerPort] = a.Port,
        [Telemetry.LogFields.ResolvedAddresses] = a.ResolvedAddresses.Select(x => x.ToString()).ToArray(),
        [Telemetry.LogFields.Rule] = a.Rule,
        [Telemetry.LogFields.Entry] = a.Entry,
        [Telemetry.LogFields.Feed] = a.Feed,
        ["egressguard.category"] = a.Category,
        ["egressguard.alert.count"] = a.Count,
        ["egressguard.alert.first_seen"] = Time(a.FirstSeen),
        ["trace_id"] = a.TraceId,
        [Telemetry.LogFields.Node] = a.Node,
    };

    public static object Body(Alert a) => new
    {
        type = "egressguard.alert",
        id = a.Id,
        kind = a.Kind,
        source = new { address = a.SourceAddress?.ToString(), user = a.User, groups = a.Groups },
        destination = new { name = a.Destination, port = a.Port, addresses = a.ResolvedAddresses.Select(x => x.ToString()).ToArray() },
        method = a.Method,
        rule = a.Rule,
        entry = a.Entry,
        feed = a.Feed,
        category = a.Category,
        firstSeen = Time(a.FirstSeen),
        lastSeen = Time(a.LastSeen),
        count = a.Count,
        traceId = a.TraceId,
        summary = a.Summary,
        node = a.Node,
    };

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
