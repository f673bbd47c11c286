using EgressGuard.Lists;

namespace EgressGuard.ThreatFeeds;

/// <summary>Guesses a feed's format from its first lines, for <c>Format: auto</c>.</summary>
internal static class FeedSniffer
{
    public static FeedFormat Detect(string text)
    {
        var head = text.AsSpan().TrimStart().TrimStart('\uFEFF');
        if (head.StartsWith("["))
        {
            return FeedFormat.FeodoJson;
        }

        if (head.StartsWith("{"))
        {
            return FeedFormat.SpamhausDropJson;
        }

        var lines = 0;
        var comments = new List<string>();
        var content = new List<string>();
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            if (++lines > 200 || content.Count >= 20)
            {
                break;
            }

            var t = raw.Trim().TrimStart('\uFEFF');
            if (t.IsEmpty)
            {
                continue;
            }

            if (t[0] is '#' or ';')
            {
                comments.Add(t.ToString());
            }
            else
            {
                content.Add(t.ToString());
            }
        }

        if (content.Any(l => l.StartsWith("ExitNode ", StringComparison.Ordinal) || l.StartsWith("ExitAddress ", StringComparison.Ordinal)))
        {
            return FeedFormat.TorExit;
        }

        if (content.Any(l => l.Contains("dst_ip", StringComparison.OrdinalIgnoreCase)) || comments.Any(l => l.Contains("dst_ip", StringComparison.OrdinalIgnoreCase)))
        {
            return FeedFormat.FeodoCsv;
        }

        if (comments.Any(l => l.Contains("Maintainer URL", StringComparison.Ordinal) || l.Contains("hash:net", StringComparison.Ordinal) || l.Contains("hash:ip", StringComparison.Ordinal)))
        {
            return FeedFormat.FireHol;
        }

        if (comments.Any(l => l.Contains("Spamhaus", StringComparison.OrdinalIgnoreCase)) || content.Any(l => l.Contains("; SBL", StringComparison.Ordinal)))
        {
            return FeedFormat.SpamhausDrop;
        }

        var fields = content.Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length > 0).ToList();
        if (fields.Count > 0 && fields.All(f => f.Length == 2 && IsAddress(f[0]) && int.TryParse(f[1], out _)))
        {
            return FeedFormat.IpSum;
        }

        if (fields.Count > 0 && fields.Count(f => f.Length >= 2 && IsAddress(f[0]) && !IsAddress(f[1])) * 2 > fields.Count)
        {
            return FeedFormat.Hosts;
        }

        if (fields.Count > 0 && fields.Count(f => IsAddress(f[0])) * 2 >= fields.Count)
        {
            return FeedFormat.Plain;
        }

        return fields.Count > 0 && fields.Count(f => DomainPattern.TryParse(f[0], out _, out _)) * 2 > fields.Count
            ? FeedFormat.Domains
            : FeedFormat.Plain;
    }

    private static bool IsAddress(string token) => IpNetworkParser.TryParse(token, out _, out _, out _);
}
