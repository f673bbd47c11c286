using System.Globalization;
using System.Text.Json;
using EgressGuard.Lists;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Parses feed text in any <see cref="FeedFormat"/>. Each format reads only what it defines and
/// skips the rest; <see cref="FeedFormat.Auto"/> sniffs the format first. A text that looks like
/// HTML, is not valid JSON for a JSON format, or whose content lines are mostly unreadable is
/// rejected as a whole: a login page must never replace a feed.
/// </summary>
internal static class FeedParser
{
    /// <summary>Hosts-file names that belong to the machine itself, never to a block list.</summary>
    private static readonly HashSet<string> LocalNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    };

    public static FeedData Parse(string text, FeedFormat format, string source, int minCount = 1)
    {
        var data = new FeedData(source);
        var trimmed = text.AsSpan().TrimStart().TrimStart('\uFEFF');
        if (trimmed.StartsWith("<"))
        {
            throw new FeedRejectedException($"{source}: looks like an HTML or XML page, not a feed");
        }

        data.Format = format == FeedFormat.Auto ? FeedSniffer.Detect(text) : format;
        switch (data.Format)
        {
            case FeedFormat.SpamhausDropJson:
                ParseJsonLines(text, data);
                break;
            case FeedFormat.FeodoJson:
                ParseFeodoJson(text, data);
                break;
            case FeedFormat.FeodoCsv:
                ParseFeodoCsv(text, data);
                break;
            case FeedFormat.IpSum:
                ParseIpSum(text, data, minCount);
                break;
            case FeedFormat.TorExit:
                ParseTorExit(text, data);
                break;
            case FeedFormat.Hosts:
                ParseHosts(text, data);
                break;
            case FeedFormat.Domains:
                ParseLines(text, data, (token, line) => data.AddDomain(token.ToString(), line));
                break;
            default:
                // plain, firehol, spamhaus-drop, feodo: one entry per line, '#'/';' comments.
                ParseLines(text, data, (token, line) => data.AddAddress(token, line));
                break;
        }

        if (data.ContentLines >= 3 && data.Invalid * 2 > data.ContentLines)
        {
            throw new FeedRejectedException(
                $"{source}: {data.Invalid} of {data.ContentLines} lines are not {FeedFormats.Name(data.Format)} entries (first: {data.Problems.FirstOrDefault()})");
        }

        return data;
    }

    private delegate void TokenHandler(ReadOnlySpan<char> token, int line);

    private static void ParseLines(string text, FeedData data, TokenHandler onToken) =>
        ForEachContentLine(text, data, (line, number) =>
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
    private static void ForEachContentLine(string text, FeedData data, TokenHandler onLine)
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

    private static void ParseJsonLines(string text, FeedData data)
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

    private static void ParseFeodoJson(string text, FeedData data)
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

    private static void ParseFeodoCsv(string text, FeedData data)
    {
        var column = -1;
        ForEachContentLine(text, data, (line, number) =>
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

    private static void ParseIpSum(string text, FeedData data, int minCount) =>
        ForEachContentLine(text, data, (line, number) =>
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

    private static void ParseTorExit(string text, FeedData data)
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

    private static void ParseHosts(string text, FeedData data) =>
        ForEachContentLine(text, data, (line, number) =>
        {
            var hash = line.IndexOf('#');
            var fields = (hash >= 0 ? line[..hash] : line).ToString().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                return;
            }

            if (fields.Length == 1)
            {
                data.ContentLines++;
                data.AddProblem(number, "expected 'address name'");
                return;
            }

            // The address column (0.0.0.0, 127.0.0.1, ::1…) only says "nowhere"; the names are the entries.
            foreach (var name in fields.Skip(1))
            {
                if (!LocalNames.Contains(name))
                {
                    data.AddDomain(name, number);
                }
            }
        });
}
