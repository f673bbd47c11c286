using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EgressGuard.Cli;

/// <summary>
/// <c>EgressGuard rules list|show|add|remove|explain|history|rollback</c>: the admin API from a
/// shell, with readable tables. Exit code 0 on success, 1 when the API refuses (its reasons are
/// printed), 2 on a usage error.
/// </summary>
internal static class RulesCommand
{
    public const string Usage = """
        usage: EgressGuard rules <command> [--admin URL] [--token TOKEN] [--config PATH]
          list                                   the ordered list, built-in entries included
          show ID                                one rule as JSON
          add ID --action allow|deny [--dest D1,D2] [--ports 443,8000-8100] [--sources CIDR,..]
                 [--feeds NAME,..] [--paths /upload/*,..] [--methods CONNECT|GET,POST,..]
                 [--mode report] [--expires 2026-12-31T00:00:00Z] [--upstream direct|PARENT]
                 [--comment TEXT] [--ticket ID] [--alert true] [--position N]
          remove ID
          explain DESTINATION [--port 443] [--method CONNECT] [--client IP] [--user NAME] [--groups G1,G2]
          history
          rollback VERSION
        admin URL and token default to EGRESSGUARD_ADMIN_URL / EGRESSGUARD_ADMIN_TOKEN, then the config.
        """;

    private static readonly string[] ListHeader = ["#", "ID", "ACTION", "MODE", "DESTINATIONS", "PORTS", "SOURCES", "EXPIRES", "COMMENT"];
    private static readonly string[] ExplainHeader = ["SUBJECT", "ENTRY", "ACTION", "RESULT", "DETAIL"];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var settings = AdminClientSettings.Resolve(args, out var rest);
        if (rest.Length == 0)
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        using var client = AdminCli.CreateClient(settings);

        try
        {
            return rest[0] switch
            {
                "list" => await ListAsync(client, output, error),
                "show" when rest.Length == 2 => await AdminCli.PrintJsonAsync(await client.GetAsync(Uri.EscapeDataString(rest[1]).Insert(0, "rules/")), output, error),
                "add" when rest.Length >= 2 => await AddAsync(client, rest, output, error),
                "remove" when rest.Length == 2 => await RemoveAsync(client, rest[1], output, error),
                "explain" when rest.Length >= 2 => await ExplainAsync(client, rest, output, error),
                "history" => await AdminCli.PrintJsonAsync(await client.GetAsync("rules/history"), output, error),
                "rollback" when rest.Length == 2 => await AdminCli.PrintOkAsync(await client.PostAsync($"rules/rollback/{rest[1]}", null), $"rolled back to version {rest[1]}", output, error),
                _ => await UsageAsync(error),
            };
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"cannot reach the admin API at {settings.BaseAddress}: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> UsageAsync(TextWriter error)
    {
        await error.WriteLineAsync(Usage);
        return 2;
    }

    private static async Task<int> ListAsync(HttpClient client, TextWriter output, TextWriter error)
    {
        var response = await client.GetAsync("rules");
        if (!response.IsSuccessStatusCode)
        {
            return await AdminCli.ProblemAsync(response, error);
        }

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        await output.WriteLineAsync($"rules v{body["version"]} from {body["file"]} (default: {body["defaultAction"]})");
        var rows = new List<string[]> { ListHeader };
        foreach (var item in body["rules"]!.AsArray())
        {
            var rule = item!["rule"]!;
            var builtin = rule["builtin"]?.GetValue<bool>() == true;
            rows.Add(
            [
                item["position"]!.ToString(),
                rule["id"]!.ToString(),
                rule["action"]?.ToString() ?? string.Empty,
                builtin ? "built-in" : rule["mode"]?.ToString() ?? "enforce",
                Join(rule["destinations"]) + (rule["feeds"] is { } feeds ? (Join(rule["destinations"]).Length > 0 ? " " : string.Empty) + "feeds:" + Join(feeds) : string.Empty),
                Join(rule["ports"]),
                Join(rule["sources"]),
                rule["expires"]?.ToString() is { } expires ? expires + (item["expired"]!.GetValue<bool>() ? " (expired)" : string.Empty) : string.Empty,
                rule["comment"]?.ToString() ?? string.Empty,
            ]);
        }

        await output.WriteAsync(AdminCli.Table(rows));
        return 0;
    }

    private static async Task<int> AddAsync(HttpClient client, string[] args, TextWriter output, TextWriter error)
    {
        var rule = new JsonObject { ["id"] = args[1] };
        for (var i = 2; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
            {
                await error.WriteLineAsync($"missing value for {args[i]}");
                return 2;
            }

            var value = args[++i];
            switch (args[i - 1])
            {
                case "--action": rule["action"] = value; break;
                case "--dest": rule["destinations"] = List(value); break;
                case "--ports": rule["ports"] = List(value); break;
                case "--sources": rule["sources"] = List(value); break;
                case "--feeds": rule["feeds"] = List(value); break;
                case "--paths": rule["paths"] = List(value); break;
                case "--methods": rule["methods"] = List(value); break;
                case "--users": rule["users"] = List(value); break;
                case "--groups": rule["groups"] = List(value); break;
                case "--mode": rule["mode"] = value; break;
                case "--upstream": rule["upstream"] = value; break;
                case "--expires": rule["expires"] = value; break;
                case "--comment": rule["comment"] = value; break;
                case "--ticket": rule["ticket"] = value; break;
                case "--alert" when bool.TryParse(value, out var alert): rule["alert"] = alert; break;
                case "--position" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var position): rule["position"] = position; break;
                default:
                    await error.WriteLineAsync($"unknown option {args[i - 1]}\n{Usage}");
                    return 2;
            }
        }

        var response = await client.PostAsync("rules", new StringContent(rule.ToJsonString(), Encoding.UTF8, "application/json"));
        return await AdminCli.PrintOkAsync(response, $"added rule '{args[1]}'", output, error);
    }

    private static async Task<int> RemoveAsync(HttpClient client, string id, TextWriter output, TextWriter error) =>
        await AdminCli.PrintOkAsync(await client.DeleteAsync("rules/" + Uri.EscapeDataString(id)), $"removed rule '{id}'", output, error);

    private static async Task<int> ExplainAsync(HttpClient client, string[] args, TextWriter output, TextWriter error)
    {
        var request = new JsonObject { ["destination"] = args[1] };
        for (var i = 2; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port": request["port"] = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--method": request["method"] = args[i + 1]; break;
                case "--client": request["client"] = args[i + 1]; break;
                case "--user": request["user"] = args[i + 1]; break;
                case "--groups": request["groups"] = List(args[i + 1]); break;
                default:
                    await error.WriteLineAsync($"unknown option {args[i]}\n{Usage}");
                    return 2;
            }
        }

        var response = await client.PostAsync("explain", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode)
        {
            return await AdminCli.ProblemAsync(response, error);
        }

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var decision = body["decision"]!;
        await output.WriteLineAsync($"{decision["action"]!.ToString().ToUpperInvariant()} {decision["target"]} ({body["status"]}): {decision["reason"]}"
            + (decision["rule"] is { } rule ? $" by {rule}" : string.Empty)
            + (decision["entry"] is { } entry ? $" (entry {entry})" : string.Empty)
            + (decision["upstream"] is { } upstream ? $" via {upstream}" : string.Empty));
        if (decision["detail"] is { } detail)
        {
            await output.WriteLineAsync("  " + detail);
        }

        await output.WriteLineAsync($"  resolved: {Join(decision["resolvedAddresses"])}" + (decision["cnames"]!.AsArray().Count > 0 ? $"; cnames: {Join(decision["cnames"])}" : string.Empty));
        var rows = new List<string[]> { ExplainHeader };
        rows.AddRange(body["steps"]!.AsArray().Select(s => new[] { s!["subject"]!.ToString(), s["rule"]!.ToString(), s["action"]!.ToString(), s["result"]!.ToString(), s["detail"]?.ToString() ?? string.Empty }));
        await output.WriteAsync(AdminCli.Table(rows));
        return 0;
    }

    private static JsonArray List(string value) =>
        new([.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static string Join(JsonNode? node) => node is JsonArray array ? string.Join(",", array.Select(a => a?.ToString())) : string.Empty;
}
