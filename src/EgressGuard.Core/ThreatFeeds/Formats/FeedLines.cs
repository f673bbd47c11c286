using EgressGuard.Lists;

namespace EgressGuard.ThreatFeeds.Formats;

/// <summary>The line reading every line-based format shares: content lines, comments, and header metadata in comments.</summary>
internal static class FeedLines
{
    /// <summary>Calls <paramref name="onToken"/> with the first token of every content line (one entry a line, <c>#</c>/<c>;</c> comments).</summary>
    public static void ForEachToken(string text, FeedData data, FeedLineHandler onToken) =>
        ForEachContent(text, data, (line, number) =>
        {
            var token = ListLines.FirstToken(line, number);
            if (!token.IsEmpty)
            {
                onToken(token, number);
            }
        });

    /// <summary>
    /// Calls <paramref name="onLine"/> with every non-blank line that is not a comment, trimmed,
    /// and its number; comment lines feed the header metadata.
    /// </summary>
    public static void ForEachContent(string text, FeedData data, FeedLineHandler onLine)
    {
        var number = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            number++;
            if (IsComment(raw))
            {
                ReadHeader(raw, data);
                continue;
            }

            var line = raw.Trim().TrimStart('\uFEFF');
            if (!line.IsEmpty)
            {
                onLine(line, number);
            }
        }
    }

    private static bool IsComment(ReadOnlySpan<char> line)
    {
        var t = line.TrimStart().TrimStart('\uFEFF');
        return t.StartsWith("#") || t.StartsWith(";");
    }

    /// <summary>Reads "# Key : value" (FireHOL) and "; Key: value" / "# Last updated: …" header lines.</summary>
    private static void ReadHeader(ReadOnlySpan<char> line, FeedData data)
    {
        var t = line.TrimStart().TrimStart('\uFEFF').TrimStart("#;").Trim().TrimEnd('#').Trim();
        var colon = t.IndexOf(':');
        if (colon <= 0)
        {
            return;
        }

        var key = t[..colon].Trim().ToString();
        var value = t[(colon + 1)..].Trim().ToString();
        if (value.Length == 0)
        {
            return;
        }

        switch (key.ToLowerInvariant())
        {
            case "version" or "entries" or "category" or "maintainer" or "source file date" or "this file date" or "expires" or "last-modified":
                data.Metadata.TryAdd(key, value);
                break;
            case "list source url":
                data.Metadata.TryAdd("Source", value);
                break;
            case "last updated" or "last update":
                data.Metadata.TryAdd("Updated", value);
                break;
        }
    }
}
