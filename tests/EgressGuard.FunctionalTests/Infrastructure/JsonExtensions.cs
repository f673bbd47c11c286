using System.Text.Json;

namespace EgressGuard.FunctionalTests.Infrastructure;

public static class JsonExtensions
{
    /// <summary>A property as text (numbers too), or null when absent: lines differ in which fields they carry.</summary>
    public static string? Str(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null => null,
                _ => value.GetRawText(),
            }
            : null;
}
