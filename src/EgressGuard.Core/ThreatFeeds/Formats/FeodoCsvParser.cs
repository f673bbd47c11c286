namespace EgressGuard.ThreatFeeds.Formats;

/// <summary><c>feodo-csv</c>: abuse.ch's CSV; the address is the <c>dst_ip</c> column, or the second when the header is missing.</summary>
internal static class FeodoCsvParser
{
    public static void Parse(string text, FeedData data)
    {
        var column = -1;
        FeedLines.ForEachContent(text, data, (line, number) =>
        {
            var fields = line.ToString().Split(',').Select(f => f.Trim().Trim('"')).ToArray();
            if (column < 0)
            {
                column = Array.FindIndex(fields, f => f.Equals("dst_ip", StringComparison.OrdinalIgnoreCase));
                if (column >= 0)
                {
                    return;
                }

                column = 1; // abuse.ch's documented layout when the header line is missing
            }

            if (fields.Length <= column)
            {
                data.ContentLines++;
                data.AddProblem(number, $"fewer than {column + 1} columns");
                return;
            }

            data.AddAddress(fields[column], number);
        });
    }
}
