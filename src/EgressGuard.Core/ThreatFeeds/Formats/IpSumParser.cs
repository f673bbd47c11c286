namespace EgressGuard.ThreatFeeds.Formats;

/// <summary><c>ipsum</c>: <c>address count</c> lines; only addresses listed by at least <c>minCount</c> sources are taken.</summary>
internal static class IpSumParser
{
    public static void Parse(string text, FeedData data, int minCount) =>
        FeedLines.ForEachContent(text, data, (line, number) =>
        {
            var tab = line.IndexOfAny('\t', ' ');
            if (tab < 0)
            {
                data.AddAddress(line, number);
                return;
            }

            if (!int.TryParse(line[(tab + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                data.ContentLines++;
                data.AddProblem(number, "count is not a number");
                return;
            }

            if (count >= minCount)
            {
                data.AddAddress(line[..tab], number);
            }
            else
            {
                data.ContentLines++; // a valid line, deliberately not taken
            }
        });
}
