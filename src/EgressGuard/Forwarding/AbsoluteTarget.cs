namespace EgressGuard.Forwarding;

/// <summary>The parts of an absolute-form <c>http://</c> request target, as the client wrote them.</summary>
internal static class AbsoluteTarget
{
    public const string HttpPrefix = "http://";

    /// <summary>Splits <c>http://authority/path?query#fragment</c>; the fragment is dropped, an empty path becomes "/".</summary>
    public static bool TrySplit(string rawTarget, out string authority, out string pathAndQuery)
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
        return authority.Length > 0;
    }
}
