using Microsoft.Data.Sqlite;

namespace EgressGuard.History;

/// <summary>What a destination filter was read as.</summary>
internal enum DestinationKind
{
    Any,
    Address,
    Name,
}

/// <summary>A query over the history: who, to what, when, with what outcome.</summary>
internal sealed record HistoryFilter
{
    /// <summary>An address, a CIDR, a name, or <c>*.name</c> (the name and its subdomains).</summary>
    public string? Destination { get; init; }

    /// <summary>A client address, a client CIDR, or a proxy user name.</summary>
    public string? Source { get; init; }

    public DateTimeOffset From { get; init; } = DateTimeOffset.MinValue;

    public DateTimeOffset To { get; init; } = DateTimeOffset.MaxValue;

    /// <summary><c>allow</c>, <c>deny</c> or null for both.</summary>
    public string? Decision { get; init; }

    public int Limit { get; init; } = 100;
}

/// <summary>
/// One row of a connections query: one request, or identical ones folded (<c>Count</c>, first and
/// last time). <c>Groups</c> are the user's at decision time (empty without a user, and on rows
/// written before groups were kept). <c>Upstream</c>: who carried it (a parent or <c>direct</c>; null
/// without parents, and on rows written before it was kept).
/// </summary>
internal sealed record ConnectionRow(
    DateTimeOffset Time, DateTimeOffset LastTime, long Count, string? Client, int ClientPort, string? User, IReadOnlyList<string> Groups, string Method, string? Host, int Port,
    string? Addresses, string? Dialed, string Decision, string? Reason, string? Rule, string? Entry,
    int Status, long BytesUp, long BytesDown, string? TraceId, string? Upstream);

/// <summary>A passive-DNS pair: a name seen resolving to an address, first and last time seen.</summary>
internal sealed record ResolutionRow(string Name, string Address, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>A source's attempts to listed destinations; <c>Groups</c>: the user's at the latest of them.</summary>
internal sealed record TalkerRow(string? Client, string? User, IReadOnlyList<string> Groups, long Denies, long Destinations, string? Rules, DateTimeOffset First, DateTimeOffset Last);

/// <summary>A count by one key, for reports.</summary>
internal sealed record CountRow(string Key, long Count);

/// <summary>The investigation queries, each one indexed SQL statement over <see cref="HistoryStore"/>.</summary>
internal sealed class HistoryQueries : IHistoryQueries
{
    /// <summary>Denies by a list, a feed or an admin rule: what "listed destinations" means in reports.</summary>
    public const string ListedDeny = "decision = 'deny' AND (rule LIKE 'feed:%' OR rule LIKE 'list:%' OR rule LIKE 'rule:%' OR rule = 'quarantine')";

    private readonly HistoryStore _store;

    public HistoryQueries(HistoryStore store) => _store = store;

    /// <summary>Checks a filter; returns the problems (empty when it can run).</summary>
    public static List<string> Validate(HistoryFilter filter)
    {
        var errors = new List<string>();
        if (filter.Destination is { Length: 0 })
        {
            errors.Add("destination is empty");
        }

        if (filter.Decision is not (null or "allow" or "deny"))
        {
            errors.Add($"decision = '{filter.Decision}': allow or deny");
        }

        if (filter.Limit is < 1 or > 100_000)
        {
            errors.Add($"limit = '{filter.Limit}': between 1 and 100000");
        }

        if (filter.From > filter.To)
        {
            errors.Add("from is after to");
        }

        return errors;
    }

    public IReadOnlyList<ConnectionRow> Connections(HistoryFilter filter)
    {
        using var connection = _store.Open();
        using var command = connection.CreateCommand();
        var where = new List<string> { "c.last_time >= $from AND c.time <= $to" };
        command.Parameters.AddWithValue("$from", Millis(filter.From));
        command.Parameters.AddWithValue("$to", Millis(filter.To));
        if (filter.Destination is { } destination
            && !AddRange(command, where, destination, "$d", "(c.address BETWEEN $dfirst AND $dlast OR c.id IN (SELECT connection_id FROM connection_addresses WHERE address BETWEEN $dfirst AND $dlast AND time BETWEEN $from AND $to))"))
        {
            if (destination.StartsWith("*.", StringComparison.Ordinal))
            {
                where.Add("(c.host = $dname OR c.host LIKE $dsuffix ESCAPE '\\')");
                command.Parameters.AddWithValue("$dname", destination[2..].ToLowerInvariant());
                command.Parameters.AddWithValue("$dsuffix", "%." + Escape(destination[2..].ToLowerInvariant()));
            }
            else
            {
                where.Add("(c.host = $dname OR ',' || c.cnames || ',' LIKE $dcname ESCAPE '\\')");
                command.Parameters.AddWithValue("$dname", destination.TrimEnd('.').ToLowerInvariant());
                command.Parameters.AddWithValue("$dcname", "%," + Escape(destination.TrimEnd('.').ToLowerInvariant()) + ",%");
            }
        }

        if (filter.Source is { } source && !AddRange(command, where, source, "$s", "c.client BETWEEN $sfirst AND $slast"))
        {
            where.Add("c.user = $suser");
            command.Parameters.AddWithValue("$suser", source);
        }

        if (filter.Decision is { } decision)
        {
            where.Add("c.decision = $decision");
            command.Parameters.AddWithValue("$decision", decision);
        }

        command.CommandText = $"""
            SELECT time, last_time, count, client_text, client_port, user, method, host, port, addresses, dialed, decision, reason, rule, entry, status, bytes_up, bytes_down, trace_id, groups, upstream
            FROM connections c WHERE {string.Join(" AND ", where)} ORDER BY time DESC LIMIT {filter.Limit}
            """;
        using var reader = command.ExecuteReader();
        var rows = new List<ConnectionRow>();
        while (reader.Read())
        {
            rows.Add(new ConnectionRow(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetInt64(2),
                Text(reader, 3), reader.IsDBNull(4) ? 0 : reader.GetInt32(4), Text(reader, 5), HistoryGroups.Parse(Text(reader, 19)) ?? [],
                reader.GetString(6), Text(reader, 7), reader.IsDBNull(8) ? 0 : reader.GetInt32(8), Text(reader, 9), Text(reader, 10), reader.GetString(11),
                Text(reader, 12), Text(reader, 13), Text(reader, 14), reader.IsDBNull(15) ? 0 : reader.GetInt32(15),
                reader.IsDBNull(16) ? 0 : reader.GetInt64(16), reader.IsDBNull(17) ? 0 : reader.GetInt64(17), Text(reader, 18), Text(reader, 20)));
        }

        return rows;
    }

    /// <summary>
    /// Adds <paramref name="clause"/> when <paramref name="text"/> is an address or CIDR, binding
    /// its first and last address keys as <c>{prefix}first</c> and <c>{prefix}last</c>; false (nothing
    /// added) for a name, which the caller matches its own way.
    /// </summary>
    private static bool AddRange(SqliteCommand command, List<string> where, string text, string prefix, string clause)
    {
        if (!IpNetworkParser.TryParse(text, out var range, out _, out _))
        {
            return false;
        }

        var (first, last) = AddressKey.Of(range);
        where.Add(clause);
        command.Parameters.AddWithValue(prefix + "first", first);
        command.Parameters.AddWithValue(prefix + "last", last);
        return true;
    }

    /// <summary>Passive DNS: what <paramref name="nameOrAddress"/> resolved to (or which names resolved to that address), optionally as of <paramref name="at"/>.</summary>
    public IReadOnlyList<ResolutionRow> Resolutions(string nameOrAddress, DateTimeOffset? at = null)
    {
        using var connection = _store.Open();
        using var command = connection.CreateCommand();
        var byAddress = IPAddress.TryParse(nameOrAddress, out var address);
        command.CommandText = $"""
            SELECT name, address_text, first_seen, last_seen FROM resolutions
            WHERE {(byAddress ? "address = $key" : "name = $key")} {(at is null ? string.Empty : "AND first_seen <= $at")}
            ORDER BY last_seen DESC LIMIT 1000
            """;
        command.Parameters.AddWithValue("$key", byAddress ? AddressKey.Of(address!) : nameOrAddress.TrimEnd('.').ToLowerInvariant());
        if (at is { } when)
        {
            command.Parameters.AddWithValue("$at", Millis(when));
        }

        using var reader = command.ExecuteReader();
        var rows = new List<ResolutionRow>();
        while (reader.Read())
        {
            rows.Add(new ResolutionRow(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return rows;
    }

    /// <summary>Sources with the most denied attempts to listed destinations (feeds, lists, rules) in the range.</summary>
    public IReadOnlyList<TalkerRow> TopTalkers(DateTimeOffset from, DateTimeOffset to, int limit = 20)
    {
        using var connection = _store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT client_text, user, sum(count), count(DISTINCT host), group_concat(DISTINCT rule), min(time), max(last_time),
                (SELECT g.groups FROM connections g WHERE g.user = t.user AND g.time BETWEEN $from AND $to AND g.groups IS NOT NULL ORDER BY g.time DESC LIMIT 1)
            FROM connections t WHERE time BETWEEN $from AND $to AND {ListedDeny}
            GROUP BY client, user ORDER BY sum(count) DESC LIMIT {Math.Clamp(limit, 1, 10_000)}
            """;
        command.Parameters.AddWithValue("$from", Millis(from));
        command.Parameters.AddWithValue("$to", Millis(to));
        using var reader = command.ExecuteReader();
        var rows = new List<TalkerRow>();
        while (reader.Read())
        {
            rows.Add(new TalkerRow(Text(reader, 0), Text(reader, 1), HistoryGroups.Parse(Text(reader, 7)) ?? [], reader.GetInt64(2), reader.GetInt64(3), Text(reader, 4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return rows;
    }

    /// <summary>Denied attempts to listed destinations grouped by <paramref name="column"/> (client_text, host, rule, feed).</summary>
    public IReadOnlyList<CountRow> BlockedBy(string column, DateTimeOffset from, DateTimeOffset to, int limit = 20)
    {
        if (column is not ("client_text" or "host" or "rule" or "feed" or "user"))
        {
            throw new ArgumentOutOfRangeException(nameof(column));
        }

        using var connection = _store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT coalesce({column}, '-'), sum(count) FROM connections
            WHERE time BETWEEN $from AND $to AND {ListedDeny}
            GROUP BY {column} ORDER BY sum(count) DESC LIMIT {Math.Clamp(limit, 1, 10_000)}
            """;
        command.Parameters.AddWithValue("$from", Millis(from));
        command.Parameters.AddWithValue("$to", Millis(to));
        using var reader = command.ExecuteReader();
        var rows = new List<CountRow>();
        while (reader.Read())
        {
            rows.Add(new CountRow(reader.GetString(0), reader.GetInt64(1)));
        }

        return rows;
    }

    /// <summary>Allowed connections since <paramref name="from"/>: distinct (client, host, address) with first/last time and count, for the retro-hunt.</summary>
    public IEnumerable<(string? Client, string? User, string? Host, int Port, byte[] Address, DateTimeOffset First, DateTimeOffset Last, long Count)> AllowedSince(DateTimeOffset from)
    {
        using var connection = _store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT client_text, user, host, port, address, min(time), max(last_time), sum(count) FROM (
                SELECT c.client, c.client_text, c.user, c.host, c.port, c.address, c.time, c.last_time, c.count
                FROM connections c WHERE c.time >= $from AND c.decision = 'allow' AND c.address IS NOT NULL
                UNION ALL
                SELECT c.client, c.client_text, c.user, c.host, c.port, a.address, c.time, c.last_time, c.count
                FROM connection_addresses a JOIN connections c ON c.id = a.connection_id
                WHERE a.time >= $from AND c.decision = 'allow')
            GROUP BY client, host, address
            """;
        command.Parameters.AddWithValue("$from", Millis(from));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (Text(reader, 0), Text(reader, 1), Text(reader, 2), reader.IsDBNull(3) ? 0 : reader.GetInt32(3), (byte[])reader[4],
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), reader.GetInt64(7));
        }
    }

    /// <summary>Records a retro-hunt finding; false when it was reported before (never twice, across restarts).</summary>
    public bool MarkReported(string source, string destination, string rule, DateTimeOffset now)
    {
        using var connection = _store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO retro_hunts (source, destination, rule, reported) VALUES ($s, $d, $r, $t);";
        command.Parameters.AddWithValue("$s", source);
        command.Parameters.AddWithValue("$d", destination);
        command.Parameters.AddWithValue("$r", rule);
        command.Parameters.AddWithValue("$t", Millis(now));
        return command.ExecuteNonQuery() == 1;
    }

    private static long Millis(DateTimeOffset time) =>
        time == DateTimeOffset.MinValue ? long.MinValue : time == DateTimeOffset.MaxValue ? long.MaxValue : time.ToUnixTimeMilliseconds();

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
