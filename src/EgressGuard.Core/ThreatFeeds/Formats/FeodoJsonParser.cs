namespace EgressGuard.ThreatFeeds.Formats;

/// <summary><c>feodo-json</c>: abuse.ch's JSON array of C2 records, each with an <c>ip_address</c>. Invalid JSON rejects the whole feed.</summary>
internal static class FeodoJsonParser
{
    public static void Parse(string text, FeedData data)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new FeedRejectedException($"{data.Source}: not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FeedRejectedException($"{data.Source}: expected a JSON array of C2 records");
            }

            var index = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                index++;
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("ip_address", out var ip) && ip.ValueKind == JsonValueKind.String)
                {
                    data.AddAddress(ip.GetString(), index);
                }
                else
                {
                    data.ContentLines++;
                    data.AddProblem(index, "record without \"ip_address\"");
                }
            }
        }
    }
}
