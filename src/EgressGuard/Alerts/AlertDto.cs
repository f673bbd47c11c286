using System.Text.Json.Serialization;

namespace EgressGuard.Alerts;

/// <summary>
/// An alert as webhooks, the admin API and the report send it. The names are fixed by attribute because
/// webhooks serialize with the default options (no camelCase policy) and the API with the web ones.
/// </summary>
internal sealed record AlertDto(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("source")] AlertSourceDto Source,
    [property: JsonPropertyName("destination")] AlertDestinationDto Destination,
    [property: JsonPropertyName("method")] string? Method,
    [property: JsonPropertyName("rule")] string? Rule,
    [property: JsonPropertyName("entry")] string? Entry,
    [property: JsonPropertyName("feed")] string? Feed,
    [property: JsonPropertyName("category")] string? Category,
    [property: JsonPropertyName("firstSeen")] string FirstSeen,
    [property: JsonPropertyName("lastSeen")] string LastSeen,
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("traceId")] string? TraceId,
    [property: JsonPropertyName("summary")] string Summary,
    [property: JsonPropertyName("node")] string? Node)
{
    public static AlertDto From(Alert a) => new(
        Telemetry.LogFields.AlertEvent,
        a.Id,
        a.Kind,
        new AlertSourceDto(a.SourceAddress?.ToString(), a.Device, a.User, a.Groups),
        new AlertDestinationDto(a.Destination, a.Port, a.ResolvedAddresses.Select(x => x.ToString()).ToArray()),
        a.Method,
        a.Rule,
        a.Entry,
        a.Feed,
        a.Category,
        AlertJson.Time(a.FirstSeen),
        AlertJson.Time(a.LastSeen),
        a.Count,
        a.TraceId,
        a.Summary,
        a.Node);
}
