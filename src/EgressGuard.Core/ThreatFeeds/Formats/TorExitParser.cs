namespace EgressGuard.ThreatFeeds.Formats;

/// <summary><c>tor-exit</c>: the Tor exit list; <c>ExitAddress</c> lines are the entries, <c>Downloaded</c> the date.</summary>
internal static class TorExitParser
{
    public static void Parse(string text, FeedData data)
    {
        var line = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            line++;
            var t = raw.Trim();
            if (t.StartsWith("ExitAddress "))
            {
                var rest = t["ExitAddress ".Length..].TrimStart();
                var space = rest.IndexOf(' ');
                data.AddAddress(space < 0 ? rest : rest[..space], line);
            }
            else if (t.StartsWith("Downloaded "))
            {
                data.Metadata.TryAdd("Updated", t["Downloaded ".Length..].ToString());
            }
        }
    }
}
