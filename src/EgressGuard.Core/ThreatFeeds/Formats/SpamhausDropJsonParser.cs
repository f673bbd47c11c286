namespace EgressGuard.ThreatFeeds.Formats;

/// <summary><c>spamhaus-drop-json</c>: one JSON object a line, <c>{"cidr": …}</c>, plus a metadata line with the timestamp and count.</summary>
internal static class SpamhausDropJsonParser
{
    public static void Parse(string text, FeedData data)
    {
        var line = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            line++;
            var t = raw.Trim();
            if (t.IsEmpty)
            {
                continue;
            }

            JsonElement root;
            try
            {
                root = JsonDocument.Parse(t.ToString()).RootElement;
            }
            catch (JsonException)
            {
                data.ContentLines++;
                data.AddProblem(line, "not a JSON object");
                continue;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                data.ContentLines++;
                data.AddProblem(line, "not a JSON object");
            }
            else if (root.TryGetProperty("cidr", out var cidr) && cidr.ValueKind == JsonValueKind.String)
            {
                data.AddAddress(cidr.GetString(), line);
            }
            else if (root.TryGetProperty("type", out var type) && type.GetString() == "metadata")
            {
                if (root.TryGetProperty("timestamp", out var ts) && ts.TryGetInt64(out var seconds))
                {
                    data.Metadata["Last-Modified"] = DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("u", CultureInfo.InvariantCulture);
                }

                if (root.TryGetProperty("records", out var records))
                {
                    data.Metadata["Entries"] = records.GetRawText();
                }
            }
            else
            {
                data.ContentLines++;
                data.AddProblem(line, "JSON object without \"cidr\"");
            }
        }
    }
}
