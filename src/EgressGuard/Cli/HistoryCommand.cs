using System.Text.Json.Nodes;

namespace EgressGuard.Cli;

/// <summary>
/// <c>EgressGuard history connections|dns|top</c> and <c>EgressGuard report</c>: the investigation
/// queries through the admin API, as a table (default), JSON or CSV.
/// </summary>
internal static class HistoryCommand
{
    public const string Usage = """
        usage: EgressGuard history <command> [--format table|json|csv] [--admin URL] [--token TOKEN] [--config PATH]
          connections [--destination IP|CIDR|NAME|*.NAME] [--source IP|CIDR|USER] [--since 7d] [--decision allow|deny] [--limit N]
                                      who connected or tried to connect to what, newest first
          dns NAME|ADDRESS [--at 2026-11-29T09:00:00Z]
                                      passive DNS: what a name resolved to (or which names resolved to an address)
          top [--since 24h]           sources with the most denied attempts to listed destinations
        usage: EgressGuard report [--since 7d] [--format table|json|csv]
                                      blocked attempts by source, destination, feed and rule; alerts; quarantines; changes
        """;

    private static readonly (string Name, string Title)[] ConnectionColumns =
        [("time", "TIME"), ("count", "COUNT"), ("client", "CLIENT"), ("user", "USER"), ("groups", "GROUPS"), ("method", "METHOD"), ("host", "HOST"), ("port", "PORT"), ("addresses", "ADDRESSES"), ("decision", "DECISION"), ("rule", "RULE"), ("upstream", "UPSTREAM"), ("status", "STATUS"), ("traceId", "TRACE")];

    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    private static readonly string[] CountHeader = ["KEY", "COUNT"];

    private static readonly string[] ConnectionFilters = ["destination", "source", "since", "decision", "limit"];

    private static readonly (string Name, string Title)[] DnsColumns = [("name", "NAME"), ("address", "ADDRESS"), ("firstSeen", "FIRST SEEN"), ("lastSeen", "LAST SEEN")];

    private static readonly (string Name, string Title)[] TopColumns = [("client", "CLIENT"), ("user", "USER"), ("groups", "GROUPS"), ("denies", "DENIES"), ("destinations", "DESTINATIONS"), ("rules", "RULES"), ("first", "FIRST"), ("last", "LAST")];

    public static async Task<int> RunAsync(string[] args, bool report, TextWriter output, TextWriter error)
    {
        var settings = AdminClientSettings.Resolve(args, out var rest);
        var options = Options(rest, out var positional);
        var format = options.GetValueOrDefault("format", "table");
        if (format is not ("table" or "json" or "csv"))
        {
            await error.WriteLineAsync($"--format '{format}': table, json or csv");
            return 2;
        }

        string path;
        (string Name, string Title)[]? columns;
        if (report)
        {
            path = $"report?since={Uri.EscapeDataString(options.GetValueOrDefault("since", "7d"))}";
            columns = null;
        }
        else
        {
            switch (positional)
            {
                case ["connections"]:
                    path = "history/connections?" + string.Join('&', ConnectionFilters
                        .Where(options.ContainsKey).Select(k => $"{k}={Uri.EscapeDataString(options[k])}"));
                    columns = ConnectionColumns;
                    break;
                case ["dns", var name]:
                    path = $"history/dns?name={Uri.EscapeDataString(name)}" + (options.TryGetValue("at", out var at) ? $"&at={Uri.EscapeDataString(at)}" : string.Empty);
                    columns = DnsColumns;
                    break;
                case ["top"]:
                    path = $"history/top?since={Uri.EscapeDataString(options.GetValueOrDefault("since", "24h"))}";
                    columns = TopColumns;
                    break;
                default:
                    await error.WriteLineAsync(Usage);
                    return 2;
            }
        }

        using var client = AdminCli.CreateClient(settings);
        try
        {
            var response = await client.GetAsync(path);
            if (!response.IsSuccessStatusCode)
            {
                return await AdminCli.ProblemAsync(response, error);
            }

            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (format == "json")
            {
                await output.WriteLineAsync(json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            else if (columns is not null)
            {
                await output.WriteAsync(Render(json.AsArray(), columns, format == "csv"));
            }
            else
            {
                await output.WriteAsync(RenderReport(json, format == "csv"));
            }

            return 0;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"cannot reach the admin API at {settings.BaseAddress}: {ex.Message}");
            return 1;
        }
    }

    private static string Render(JsonArray rows, (string Name, string Title)[] columns, bool csv)
    {
        var table = new List<string[]> { columns.Select(c => c.Title).ToArray() };
        table.AddRange(rows.Select(r => columns.Select(c => Cell(r?[c.Name])).ToArray()));
        if (csv)
        {
            return string.Concat(table.Select(r => string.Join(',', r.Select(Csv)) + "\n"));
        }

        return table.Count == 1 ? "no matching records\n" : AdminCli.Table(table);
    }

    /// <summary>A value as a cell: a list (groups) as its items joined, not as JSON.</summary>
    private static string Cell(JsonNode? value) =>
        value is JsonArray items ? string.Join(", ", items.Select(i => i?.ToString())) : value?.ToString() ?? string.Empty;

    private static string RenderReport(JsonNode report, bool csv)
    {
        var text = new StringBuilder();
        if (csv)
        {
            text.Append("section,key,count\n");
        }
        else
        {
            text.Append(Inv, $"EgressGuard report {report["from"]} .. {report["to"]}\n");
        }

        foreach (var (section, title) in new[] { ("bySource", "Blocked attempts by source"), ("byUser", "by user"), ("byDestination", "by destination"), ("byFeed", "by feed"), ("byRule", "by rule") })
        {
            var rows = report["blocked"]![section]!.AsArray();
            if (csv)
            {
                foreach (var r in rows)
                {
                    text.Append(Inv, $"{section},{Csv(r!["key"]!.ToString())},{r["count"]}\n");
                }

                continue;
            }

            text.Append('\n').Append(title).Append('\n');
            var table = new List<string[]> { CountHeader };
            table.AddRange(rows.Select(r => new[] { r!["key"]!.ToString(), r["count"]!.ToString() }));
            text.Append(table.Count == 1 ? "  none\n" : AdminCli.Table(table));
        }

        // Who to call: the sources with the most listed denies, with their user and groups.
        var talkers = report["topTalkers"]!.AsArray();
        if (csv)
        {
            foreach (var t in talkers)
            {
                text.Append(Inv, $"topTalkers,{Csv(Talker(t!))},{t!["denies"]}\n");
            }
        }
        else
        {
            text.Append("\nTop talkers\n").Append(talkers.Count == 0 ? "  none\n" : Render(talkers, TopColumns, csv: false));
        }

        var alerts = report["alerts"]!.AsArray();
        var quarantined = report["quarantined"]!.AsArray();
        var changes = report["changes"]!.AsArray();
        if (csv)
        {
            text.Append(Inv, $"alerts,total,{alerts.Count}\nquarantined,active,{quarantined.Count}\nchanges,total,{changes.Count}\n");
            return text.ToString();
        }

        text.Append(Inv, $"\nAlerts ({alerts.Count})\n");
        foreach (var a in alerts)
        {
            text.Append(Inv, $"  {a!["id"]} {a["kind"]} {a["summary"]}\n");
        }

        text.Append(Inv, $"\nQuarantined now ({quarantined.Count})\n");
        foreach (var q in quarantined)
        {
            text.Append(Inv, $"  {q!["address"]} until {q["until"]} by {q["by"]}: {q["reason"]}\n");
        }

        text.Append(Inv, $"\nRule and quarantine changes ({changes.Count})\n");
        foreach (var c in changes)
        {
            text.Append(Inv, $"  {c!["time"]} {c["actor"]} {c["action"]} {c["subject"]}\n");
        }

        return text.ToString();
    }

    /// <summary>A talker as one key: <c>10.1.2.3 alice@CORP.EXAMPLE (staff, devs)</c>.</summary>
    private static string Talker(JsonNode t) =>
        string.Join(' ', new[] { Cell(t["client"]), Cell(t["user"]), t["groups"] is JsonArray { Count: > 0 } g ? $"({Cell(g)})" : string.Empty }.Where(p => p.Length > 0));

    private static Dictionary<string, string> Options(string[] args, out string[] positional)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                options[args[i][2..]] = args[++i];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        positional = [.. rest];
        return options;
    }

    private static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
