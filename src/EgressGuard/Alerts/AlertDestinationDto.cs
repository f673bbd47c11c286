using System.Text.Json.Serialization;

namespace EgressGuard.Alerts;

/// <summary><see cref="AlertDto.Destination"/>: the name or address requested, its port and every address it resolved to.</summary>
internal sealed record AlertDestinationDto(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("addresses")] string[] Addresses);
