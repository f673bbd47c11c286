namespace EgressGuard.ThreatFeeds;

/// <summary>
/// A feed source as it may be shown (start summary, <c>GET /feeds</c>, errors): URL userinfo and
/// every query value replaced by <c>***</c>, since feed providers put API keys in either. Query
/// keys, host, port and path stay, so an admin still sees which feed and which endpoint. File
/// paths are returned unchanged.
/// </summary>
internal static class FeedSourceRedactor
{
    private const string Hidden = "***";

    public static string Redact(string source)
    {
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return source;
        }

        var builder = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty };
        var text = builder.Uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        if (uri.UserInfo.Length > 0)
        {
            text = text.Insert(uri.Scheme.Length + 3, Hidden + "@");
        }

        if (uri.Query.Length > 1)
        {
            var pairs = uri.Query[1..].Split('&').Select(p => p.Split('=', 2)[0] + "=" + Hidden);
            text += "?" + string.Join('&', pairs);
        }

        return text;
    }
}
