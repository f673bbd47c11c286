using System.Text.Json.Serialization;

namespace EgressGuard.Identity;

/// <summary>The credentials file: <c>{ "users": [ { "name", "groups", "password": "pbkdf2-sha256$…" } ] }</c>.</summary>
internal sealed class UsersDocument
{
    [JsonPropertyName("users")]
    public List<UserEntry> Users { get; set; } = [];
}
