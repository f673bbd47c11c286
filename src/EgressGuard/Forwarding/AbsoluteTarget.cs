namespace EgressGuard.Forwarding;

/// <summary>The parts of an absolute-form <c>http://</c> request target, as the client wrote them.</summary>
internal static class AbsoluteTarget
{
    public const string HttpPrefix = "http://";

    /// <summary>
    /// Splits <c>http://authority/path?query#fragment</c>; the fragment is dropped, an empty path becomes "/".
    /// False with <paramref name="error"/> for an empty host, or a path or query with anything but
    /// visible ASCII: clients percent-encode the rest (RFC 3986), and a raw character above 0x7F
    /// could be written upstream as another byte than the one the path rules saw.
    /// </summary>
    public static bool TrySplit(string rawTarget, out string authority, out string pathAndQuery, out string error)
    {
        var rest = rawTarget.AsSpan(HttpPrefix.Length);
        var fragment = rest.IndexOf('#');
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        var end = rest.IndexOfAny('/', '?');
        authority = (end < 0 ? rest : rest[..end]).ToString();
        var tail = end < 0 ? ReadOnlySpan<char>.Empty : rest[end..];
        pathAndQuery = tail.IsEmpty ? "/" : tail[0] == '?' ? "/" + tail.ToString() : tail.ToString();
        error = authority.Length == 0 ? "empty host"
            : tail.ContainsAnyExceptInRange('!', '~') ? "the path and query must be visible ASCII (percent-encode other characters)"
            : string.Empty;
        return error.Length == 0;
    }
}
