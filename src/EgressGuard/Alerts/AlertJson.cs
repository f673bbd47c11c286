namespace EgressGuard.Alerts;

/// <summary>The alert's flat dotted fields for the decision log; <see cref="AlertDto"/> is its nested shape for webhooks and the API.</summary>
internal static class AlertJson
{
    public static IReadOnlyDictionary<string, object?> LogFields(Alert a) => new Dictionary<string, object?>
    {
        [Telemetry.LogFields.AlertId] = a.Id,
        [Telemetry.LogFields.AlertKind] = a.Kind,
        [Telemetry.LogFields.ClientAddress] = a.SourceAddress?.ToString(),
        [Telemetry.LogFields.User] = a.User,
        [Telemetry.LogFields.ServerAddress] = a.Destination,
        [Telemetry.LogFields.ServerPort] = a.Port,
        [Telemetry.LogFields.ResolvedAddresses] = a.ResolvedAddresses.Select(x => x.ToString()).ToArray(),
        [Telemetry.LogFields.Rule] = a.Rule,
        [Telemetry.LogFields.Entry] = a.Entry,
        [Telemetry.LogFields.Feed] = a.Feed,
        [Telemetry.LogFields.Category] = a.Category,
        [Telemetry.LogFields.AlertCount] = a.Count,
        [Telemetry.LogFields.AlertFirstSeen] = Time(a.FirstSeen),
        [Telemetry.LogFields.TraceId] = a.TraceId,
    };

    /// <summary>UTC with milliseconds, as every alert time is written.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
