using System.Text.Json.Nodes;

namespace EgressGuard.Cli;

/// <summary>What every admin-API command shares: the client, printing JSON or a table, and problem+json errors.</summary>
internal static class AdminCli
{
    public static HttpClient CreateClient(AdminClientSettings settings)
    {
        var client = new HttpClient { BaseAddress = settings.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (settings.Token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", settings.Token);
        }

        return client;
    }

    internal static async Task<int> PrintJsonAsync(HttpResponseMessage response, TextWriter output, TextWriter error)
    {
        if (!response.IsSuccessStatusCode)
        {
            return await ProblemAsync(response, error);
        }

        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        await output.WriteLineAsync(node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    internal static async Task<int> PrintOkAsync(HttpResponseMessage response, string message, TextWriter output, TextWriter error)
    {
        if (!response.IsSuccessStatusCode)
        {
            return await ProblemAsync(response, error);
        }

        await output.WriteLineAsync(message);
        return 0;
    }

    internal static async Task<int> ProblemAsync(HttpResponseMessage response, TextWriter error)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            var problem = JsonNode.Parse(text)!;
            await error.WriteLineAsync($"{(int)response.StatusCode} {problem["title"]}: {problem["detail"]}");
            foreach (var item in problem["errors"]?.AsArray() ?? [])
            {
                await error.WriteLineAsync("  - " + item);
            }
        }
        catch (JsonException)
        {
            await error.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}: {text}");
        }

        return 1;
    }

    internal static string Table(List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => Math.Min(r[c].Length, 48))).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Length; c++)
            {
                var cell = row[c].Length > 48 ? row[c][..45] + "..." : row[c];
                text.Append(c == row.Length - 1 ? cell : cell.PadRight(widths[c] + 2));
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
