using System.Security.Cryptography;

namespace EgressGuard.Rules;

/// <summary>
/// A rules document as text: parsed leniently (comments, trailing commas, as people write it),
/// compiled against the feeds and parent proxies this node knows, serialised indented, hashed to notice a file that
/// did not really change.
/// </summary>
internal static class RulesText
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Lenient = new() { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static string Serialize(RulesDocument document) => JsonSerializer.Serialize(document, Indented);

    /// <summary>The document; throws <see cref="JsonException"/> on invalid JSON.</summary>
    public static RulesDocument? Deserialize(string content) => JsonSerializer.Deserialize<RulesDocument>(content, Lenient);

    /// <summary>Parses and compiles; every error names <paramref name="source"/> (the file) or the rule.</summary>
    public static RulesChange Compile(string content, long version, string source, Func<string, bool> isKnownFeed, DateTimeOffset now, Func<string, bool>? isKnownParent = null)
    {
        RulesDocument? document;
        try
        {
            document = Deserialize(content);
        }
        catch (JsonException ex)
        {
            return new RulesChange(false, null, [$"{source}: invalid JSON at line {ex.LineNumber + 1}: {ex.Message}"], []);
        }

        if (document is null)
        {
            return new RulesChange(false, null, [$"{source}: expected {{ \"rules\": [ … ] }}"], []);
        }

        var result = RuleCompiler.Compile(document, isKnownFeed, now, rejectExpired: false, version, isKnownParent);
        return new RulesChange(result.Set is not null, result.Set, result.Errors, result.Warnings);
    }

    public static string Hash(string content) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
