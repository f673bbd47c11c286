using System.Text.Json.Serialization;

namespace EgressGuard.Identity;

/// <summary>One proxy user: name, groups, and a PBKDF2 hash (never the password).</summary>
internal sealed class UserEntry
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    [JsonPropertyName("groups")]
    public List<string> Groups { get; set; } = [];

    [JsonPropertyName("password")]
    public string Password { get; set; } = string.Empty;
}
