using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EgressGuard.Cli;

/// <summary>
/// <c>EgressGuard quarantine list|add|extend|release</c>: containment from a shell, through the admin
/// API (every change audited there). Exit code 0 on success, 1 when the API refuses, 2 on a usage error.
/// </summary>
internal static class QuarantineCommand
{
    public const string Usage = """
        usage: EgressGuard quarantine <command> [--admin URL] [--token TOKEN] [--config PATH]
          list                                       quarantined sources, why and until when
          add ADDRESS [--for 4h] [--reason TEXT]     quarantine a source (default: Quarantine:Duration)
          extend ADDRESS --for 4h                    move the end of a quarantine to now + duration
          release ADDRESS                            end a quarantine
        durations: 30m, 4h, 2d or 01:30:00
        """;

    private static readonly string[] Header = ["ADDRESS", "UNTIL", "BY", "SINCE", "REASON"];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var settings = AdminClientSettings.Resolve(args, out var rest);
        using var client = AdminCli.CreateClient(settings);
        var duration = Option(rest, "--for");
        var reason = Option(rest, "--reason");
        try
        {
            return rest switch
            {
                ["list", ..] => await ListAsync(client, output, error),
                ["add", var address, ..] => await AdminCli.PrintJsonAsync(await client.PostAsJsonAsync("quarantine", new { address, duration, reason }), output, error),
                ["extend", var address, ..] when duration is not null => await AdminCli.PrintJsonAsync(await client.PostAsJsonAsync($"quarantine/{Uri.EscapeDataString(address)}/extend", new { duration }), output, error),
                ["release", var address] => await AdminCli.PrintOkAsync(await client.DeleteAsync($"quarantine/{Uri.EscapeDataString(address)}"), $"released {address}", output, error),
                _ => await UsageAsync(error),
            };
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"cannot reach the admin API at {settings.BaseAddress}: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> ListAsync(HttpClient client, TextWriter output, TextWriter error)
    {
        var response = await client.GetAsync("quarantine");
        if (!response.IsSuccessStatusCode)
        {
            return await AdminCli.ProblemAsync(response, error);
        }

        var rows = new List<string[]> { Header };
        foreach (var e in JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray())
        {
            rows.Add([$"{e!["address"]}", $"{e["until"]}", $"{e["by"]}", $"{e["since"]}", $"{e["reason"]}"]);
        }

        await output.WriteAsync(rows.Count == 1 ? "no source is quarantined\n" : AdminCli.Table(rows));
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static async Task<int> UsageAsync(TextWriter error)
    {
        await error.WriteLineAsync(Usage);
        return 2;
    }
}
