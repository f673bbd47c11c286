using System.Text.Json.Serialization;

namespace EgressGuard.Quarantine;

/// <summary>
/// A quarantine entry as the admin API, the report and the audit log's before/after carry it. The names are
/// fixed by attribute because the audit log serializes with the default options and the API with the web ones.
/// </summary>
internal sealed record QuarantineEntryDto(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("until")] DateTimeOffset Until,
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("alertId")] string? AlertId)
{
    public static QuarantineEntryDto From(QuarantineEntry e) => new(e.Address.ToString(), e.Reason, e.Since, e.Until, e.By, e.AlertId);
}
