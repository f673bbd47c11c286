namespace EgressGuard.Rules;

/// <summary>The <c>methods</c> matcher's vocabulary: HTTP method tokens, compared upper case.</summary>
internal static class RuleMethods
{
    public const string Connect = "CONNECT";

    /// <summary>
    /// A method as rules compare it (upper case), or null when <paramref name="text"/> is not an
    /// HTTP method token (letters and '-', at most 32: GET, POST, PROPFIND, VERSION-CONTROL…).
    /// </summary>
    public static string? Normalize(string? text)
    {
        var trimmed = text?.Trim();
        return trimmed is { Length: > 0 and <= 32 } && trimmed.All(c => char.IsAsciiLetter(c) || c == '-')
            ? trimmed.ToUpperInvariant()
            : null;
    }
}
