namespace EgressGuard.Alerts;

/// <summary>The alert's flat dotted fields for the decision log; <see cref="AlertDto"/> is its nested shape for webhooks and the API.</summary>
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
    };

    /// <summary>UTC with milliseconds, as every alert time is written.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
