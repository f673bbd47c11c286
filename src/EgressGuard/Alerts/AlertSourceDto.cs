using System.Text.Json.Serialization;

namespace EgressGuard.Alerts;

/// <summary><see cref="AlertDto.Source"/>: the client's address, its device or owner name (Identity:Map), and its user and groups when authenticated.</summary>
internal sealed record AlertSourceDto(
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("groups")] IReadOnlyList<string> Groups);
