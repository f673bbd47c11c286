namespace EgressGuard.History;

/// <summary>
/// A row's groups in SQLite's <c>groups</c> column: a JSON array, not a joined string, because
/// directory group names may hold commas (<c>CN=Proxy, Staff</c>) and SQLite's <c>json_each</c> can
/// still search it.
/// </summary>
internal static class HistoryGroups
{
    public static string Serialize(IReadOnlyList<string> groups) => JsonSerializer.Serialize(groups);

    /// <summary>The groups, or null for a row without any (no user, or a row written before the column existed).</summary>
    public static string[]? Parse(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<string[]>(json);
}
