namespace EgressGuard.Rules;

/// <summary>
/// A URL path pattern of a rule: starts with <c>/</c>; <c>*</c> matches any run of characters,
/// <c>/</c> included; everything else literally, ignoring case (a deny must not be dodged by
/// <c>/UPLOAD/</c> on a case-insensitive server). Matched against the decoded path with dot
/// segments removed, never the query.
/// </summary>
internal readonly record struct PathPattern(string Text)
{
    public const int MaxLength = 1024;

    public static bool TryParse(string? text, out PathPattern pattern, out string error)
    {
        pattern = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            error = "a path starts with '/' (like /upload/*)";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"longer than {MaxLength} characters";
            return false;
        }

        if (text.Any(c => char.IsControl(c) || c is ' ' or '?' or '#'))
        {
            error = "a path has no spaces, control characters, query ('?') or fragment ('#')";
            return false;
        }

        pattern = new PathPattern(text);
        error = string.Empty;
        return true;
    }

    /// <summary>Glob match, linear in practice: on a mismatch after a <c>*</c>, that star takes one more character.</summary>
    public bool Matches(ReadOnlySpan<char> path)
    {
        var pattern = Text.AsSpan();
        int p = 0, s = 0, star = -1, resume = 0;
        while (s < path.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = s;
            }
            else if (p < pattern.Length && char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(path[s]))
            {
                p++;
                s++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                s = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    public override string ToString() => Text;
}
