using EgressGuard.History;
using Npgsql;
using NpgsqlTypes;

namespace EgressGuard.Fleet;

/// <summary>
/// The fleet's investigation history in PostgreSQL: every node's decisions in <c>eg_connections</c>
/// (one partition per UTC day, so retention drops whole days instead of deleting rows), passive DNS
/// in <c>eg_resolutions</c>, retro-hunt findings in <c>eg_retro_hunts</c>. Batches arrive from
/// <see cref="HistoryWriter"/>'s loop (never the proxy path) and go in with one binary <c>COPY</c>.
/// The queries are <see cref="HistoryQueries"/>'s, in PostgreSQL's dialect: any node answers for all.
/// </summary>
internal sealed partial class FleetHistory(FleetDatabase db, FleetHistoryImport import, FleetHistoryPartitions partitions, ILogger<FleetHistory> logger) : ISharedHistory
{
    // PostgreSQL's timestamptz reaches far, but a query's open ends are clamped to something it can bind.
    private static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);


    public bool RetryFailedBatches => true;

    public void Write(IReadOnlyList<HistoryRecord> batch) => import.Write(batch);

    /// <summary>
    /// Retention by partition: days wholly before <paramref name="before"/> are dropped (no row-by-row
    /// delete, no bloat). <paramref name="maxBytes"/> does not apply: the database's size is its operator's.
    /// </summary>
    public long Prune(DateTimeOffset before, long maxBytes) => db.Run(connection =>
    {
        var cutoff = DateOnly.FromDateTime(before.UtcDateTime);
        var dropped = partitions.DropBefore(connection, cutoff);
        using (var dns = new NpgsqlCommand("DELETE FROM eg_resolutions WHERE last_seen < $1", connection))
        {
            dns.Parameters.AddWithValue(before.UtcDateTime);
            dns.ExecuteNonQuery();
        }

        if (dropped > 0)
        {
            LogDropped(logger, dropped, cutoff);
        }

        return dropped;
    });

    public IReadOnlyList<ConnectionRow> Connections(HistoryFilter filter) => db.Run(connection =>
    {
        using var command = new NpgsqlCommand { Connection = connection };
        var from = Clamp(filter.From);
        var to = Clamp(filter.To);
        // time bounds both ends so that only the days asked for are scanned; a folded row spans seconds.
        var where = new List<string> { "c.last_time >= $1 AND c.time <= $2 AND c.time >= $1 - interval '1 hour'" };
        command.Parameters.AddWithValue(from.UtcDateTime);
        command.Parameters.AddWithValue(to.UtcDateTime);
        string Param(object value)
        {
            command.Parameters.Add(value is IPAddress ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Inet } : new NpgsqlParameter { Value = value });
            return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        if (filter.Destination is { } destination)
        {
            if (IpNetworkParser.TryParse(destination, out var range, out _, out _))
            {
                var (first, last) = (Param(IpNumber.ToAddress(range.IsIPv4, range.First)), Param(IpNumber.ToAddress(range.IsIPv4, range.Last)));
                where.Add($"(c.address BETWEEN {first} AND {last} OR EXISTS (SELECT 1 FROM unnest(c.addresses) a WHERE a BETWEEN {first} AND {last}))");
            }
            else if (destination.StartsWith("*.", StringComparison.Ordinal))
            {
                var name = destination[2..].ToLowerInvariant();
                where.Add($"(c.host = {Param(name)} OR c.host LIKE {Param("%." + Escape(name))} ESCAPE '\\')");
            }
            else
            {
                var name = Param(destination.TrimEnd('.').ToLowerInvariant());
                where.Add($"(c.host = {name} OR {name} = ANY(c.cnames))");
            }
        }

        if (filter.Source is { } source)
        {
            if (IpNetworkParser.TryParse(source, out var range, out _, out _))
            {
                where.Add($"c.client BETWEEN {Param(IpNumber.ToAddress(range.IsIPv4, range.First))} AND {Param(IpNumber.ToAddress(range.IsIPv4, range.Last))}");
            }
            else
            {
                where.Add($"c.\"user\" = {Param(source)}");
            }
        }

        if (filter.Decision is { } decision)
        {
            where.Add($"c.decision = {Param(decision)}");
        }

        command.CommandText = $"""
            SELECT time, last_time, count, host(client), client_port, "user", method, host, port, array_to_string(addresses, ','), host(dialed),
                decision, reason, rule, entry, status, bytes_up, bytes_down, trace_id, groups, upstream
            FROM eg_connections c WHERE {string.Join(" AND ", where)} ORDER BY time DESC LIMIT {filter.Limit}
            """;
        using var reader = command.ExecuteReader();
        var rows = new List<ConnectionRow>();
        while (reader.Read())
        {
            rows.Add(new ConnectionRow(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt64(2),
                Text(reader, 3), reader.IsDBNull(4) ? 0 : reader.GetInt32(4), Text(reader, 5), Groups(reader, 19),
                reader.GetString(6), Text(reader, 7), reader.IsDBNull(8) ? 0 : reader.GetInt32(8), Text(reader, 9), Text(reader, 10), reader.GetString(11),
                Text(reader, 12), Text(reader, 13), Text(reader, 14), reader.IsDBNull(15) ? 0 : reader.GetInt32(15),
                reader.IsDBNull(16) ? 0 : reader.GetInt64(16), reader.IsDBNull(17) ? 0 : reader.GetInt64(17), Text(reader, 18), Text(reader, 20)));
        }

        return rows;
    });

    public IReadOnlyList<ResolutionRow> Resolutions(string nameOrAddress, DateTimeOffset? at = null) => db.Run(connection =>
    {
        var byAddress = IPAddress.TryParse(nameOrAddress, out var address);
        using var command = new NpgsqlCommand($"""
            SELECT name, host(address), first_seen, last_seen FROM eg_resolutions
            WHERE {(byAddress ? "address = $1" : "name = $1")} {(at is null ? string.Empty : "AND first_seen <= $2")}
            ORDER BY last_seen DESC LIMIT 1000
            """, connection);
        command.Parameters.Add(byAddress
            ? new NpgsqlParameter { Value = AddressNormalizer.Canonicalize(address!), NpgsqlDbType = NpgsqlDbType.Inet }
            : new NpgsqlParameter { Value = nameOrAddress.TrimEnd('.').ToLowerInvariant() });
        if (at is { } when)
        {
            command.Parameters.AddWithValue(Clamp(when).UtcDateTime);
        }

        using var reader = command.ExecuteReader();
        var rows = new List<ResolutionRow>();
        while (reader.Read())
        {
            rows.Add(new ResolutionRow(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return rows;
    });

    public IReadOnlyList<TalkerRow> TopTalkers(DateTimeOffset from, DateTimeOffset to, int limit = 20) => db.Run(connection =>
    {
        using var command = new NpgsqlCommand($"""
            SELECT host(client), "user", sum(count)::bigint, count(DISTINCT host), string_agg(DISTINCT rule, ','), min(time), max(last_time),
                (SELECT g.groups FROM eg_connections g WHERE g."user" = t."user" AND g.time BETWEEN $1 AND $2 AND g.groups IS NOT NULL ORDER BY g.time DESC LIMIT 1)
            FROM eg_connections t WHERE time BETWEEN $1 AND $2 AND {HistoryQueries.ListedDeny}
            GROUP BY client, "user" ORDER BY sum(count) DESC LIMIT {Math.Clamp(limit, 1, 10_000)}
            """, connection);
        command.Parameters.AddWithValue(Clamp(from).UtcDateTime);
        command.Parameters.AddWithValue(Clamp(to).UtcDateTime);
        using var reader = command.ExecuteReader();
        var rows = new List<TalkerRow>();
        while (reader.Read())
        {
            rows.Add(new TalkerRow(Text(reader, 0), Text(reader, 1), Groups(reader, 7), reader.GetInt64(2), reader.GetInt64(3), Text(reader, 4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    });

    public IReadOnlyList<CountRow> BlockedBy(string column, DateTimeOffset from, DateTimeOffset to, int limit = 20)
    {
        var expression = column switch
        {
            "client_text" => "host(client)",
            "host" => "host",
            "rule" => "rule",
            "feed" => "feed",
            "user" => "\"user\"",
            _ => throw new ArgumentOutOfRangeException(nameof(column)),
        };
        return db.Run(connection =>
        {
            using var command = new NpgsqlCommand($"""
                SELECT coalesce({expression}, '-'), sum(count)::bigint FROM eg_connections
                WHERE time BETWEEN $1 AND $2 AND {HistoryQueries.ListedDeny}
                GROUP BY 1 ORDER BY 2 DESC LIMIT {Math.Clamp(limit, 1, 10_000)}
                """, connection);
            command.Parameters.AddWithValue(Clamp(from).UtcDateTime);
            command.Parameters.AddWithValue(Clamp(to).UtcDateTime);
            using var reader = command.ExecuteReader();
            var rows = new List<CountRow>();
            while (reader.Read())
            {
                rows.Add(new CountRow(reader.GetString(0), reader.GetInt64(1)));
            }

            return rows;
        });
    }

    public IEnumerable<(string? Client, string? User, string? Host, int Port, byte[] Address, DateTimeOffset First, DateTimeOffset Last, long Count)> AllowedSince(DateTimeOffset from) => db.Run(connection =>
    {
        using var command = new NpgsqlCommand("""
            SELECT host(client), "user", host, port, a, min(time), max(last_time), sum(count)::bigint FROM (
                SELECT client, "user", host, port, unnest(addresses) AS a, time, last_time, count
                FROM eg_connections WHERE time >= $1 AND decision = 'allow' AND addresses IS NOT NULL) x
            GROUP BY client, "user", host, port, a
            """, connection);
        command.Parameters.AddWithValue(Clamp(from).UtcDateTime);
        using var reader = command.ExecuteReader();
        var rows = new List<(string?, string?, string?, int, byte[], DateTimeOffset, DateTimeOffset, long)>();
        while (reader.Read())
        {
            rows.Add((Text(reader, 0), Text(reader, 1), Text(reader, 2), reader.IsDBNull(3) ? 0 : reader.GetInt32(3), AddressKey.Of(reader.GetFieldValue<IPAddress>(4)),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt64(7)));
        }

        return rows;
    });

    public bool MarkReported(string source, string destination, string rule, DateTimeOffset now) => db.Run(connection =>
    {
        using var command = new NpgsqlCommand("INSERT INTO eg_retro_hunts (source, destination, rule, reported, node) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", connection);
        command.Parameters.AddWithValue(source);
        command.Parameters.AddWithValue(destination);
        command.Parameters.AddWithValue(rule);
        command.Parameters.AddWithValue(now.UtcDateTime);
        command.Parameters.AddWithValue(db.Node);
        return command.ExecuteNonQuery() == 1;
    });

    private static DateTimeOffset Clamp(DateTimeOffset time) => time < Earliest ? Earliest : time > Latest ? Latest : time;

    private static string? Text(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static string[] Groups(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? [] : reader.GetFieldValue<string[]>(i);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    [LoggerMessage(EventId = 1860, Level = LogLevel.Information, Message = "Store: {Count} day partition(s) of the shared history dropped (before {Cutoff})")]
    private static partial void LogDropped(ILogger logger, long count, DateOnly cutoff);
}
