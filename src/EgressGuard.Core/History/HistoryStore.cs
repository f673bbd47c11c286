using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EgressGuard.History;

/// <summary>
/// The SQLite database: schema, batched writes, retention. One writer connection (used only by
/// <see cref="HistoryWriter"/>'s loop); readers open their own connections (WAL lets them read
/// while it writes).
/// </summary>
internal sealed class HistoryStore : IDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS connections (
            id INTEGER PRIMARY KEY,
            time INTEGER NOT NULL,
            client BLOB, client_text TEXT, client_port INTEGER, user TEXT,
            method TEXT NOT NULL, host TEXT, port INTEGER,
            addresses TEXT, cnames TEXT, dialed TEXT,
            decision TEXT NOT NULL, reason TEXT, rule TEXT, entry TEXT, feed TEXT,
            status INTEGER, bytes_up INTEGER, bytes_down INTEGER, duration_ms REAL, trace_id TEXT);
        CREATE INDEX IF NOT EXISTS ix_connections_time ON connections(time);
        CREATE INDEX IF NOT EXISTS ix_connections_client ON connections(client, time);
        CREATE INDEX IF NOT EXISTS ix_connections_host ON connections(host, time);
        CREATE INDEX IF NOT EXISTS ix_connections_user ON connections(user, time);
        CREATE TABLE IF NOT EXISTS connection_addresses (
            connection_id INTEGER NOT NULL, address BLOB NOT NULL, time INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_connection_addresses ON connection_addresses(address, time);
        CREATE INDEX IF NOT EXISTS ix_connection_addresses_id ON connection_addresses(connection_id);
        CREATE TABLE IF NOT EXISTS resolutions (
            name TEXT NOT NULL, address BLOB NOT NULL, address_text TEXT NOT NULL,
            first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
            PRIMARY KEY (name, address));
        CREATE INDEX IF NOT EXISTS ix_resolutions_address ON resolutions(address);
        CREATE TABLE IF NOT EXISTS retro_hunts (
            source TEXT NOT NULL, destination TEXT NOT NULL, rule TEXT NOT NULL, reported INTEGER NOT NULL,
            PRIMARY KEY (source, destination, rule));
        """;

    private readonly SqliteConnection _writer;

    public HistoryStore(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _writer = Open();
        using var command = _writer.CreateCommand();
        command.CommandText = Schema;
        command.ExecuteNonQuery();
    }

    public string Path { get; }

    /// <summary>A new connection for reading (queries, retro-hunt, reports).</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 5000;";
        busy.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Writes a batch in one transaction: the connections, their addresses, the passive-DNS pairs.</summary>
    public void Write(IReadOnlyList<HistoryRecord> batch)
    {
        using var transaction = _writer.BeginTransaction();
        using var insert = _writer.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO connections (time, client, client_text, client_port, user, method, host, port, addresses, cnames, dialed,
                decision, reason, rule, entry, feed, status, bytes_up, bytes_down, duration_ms, trace_id)
            VALUES ($time, $client, $client_text, $client_port, $user, $method, $host, $port, $addresses, $cnames, $dialed,
                $decision, $reason, $rule, $entry, $feed, $status, $bytes_up, $bytes_down, $duration_ms, $trace_id);
            SELECT last_insert_rowid();
            """;
        string[] names = ["$time", "$client", "$client_text", "$client_port", "$user", "$method", "$host", "$port", "$addresses", "$cnames", "$dialed",
            "$decision", "$reason", "$rule", "$entry", "$feed", "$status", "$bytes_up", "$bytes_down", "$duration_ms", "$trace_id"];
        var p = names.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        using var address = _writer.CreateCommand();
        address.Transaction = transaction;
        address.CommandText = "INSERT INTO connection_addresses (connection_id, address, time) VALUES ($id, $address, $time);";
        var aId = address.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
        var aAddress = address.Parameters.Add(new SqliteParameter { ParameterName = "$address" });
        var aTime = address.Parameters.Add(new SqliteParameter { ParameterName = "$time" });
        using var dns = _writer.CreateCommand();
        dns.Transaction = transaction;
        dns.CommandText = """
            INSERT INTO resolutions (name, address, address_text, first_seen, last_seen) VALUES ($name, $address, $text, $time, $time)
            ON CONFLICT (name, address) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen);
            """;
        var dName = dns.Parameters.Add(new SqliteParameter { ParameterName = "$name" });
        var dAddress = dns.Parameters.Add(new SqliteParameter { ParameterName = "$address" });
        var dText = dns.Parameters.Add(new SqliteParameter { ParameterName = "$text" });
        var dTime = dns.Parameters.Add(new SqliteParameter { ParameterName = "$time" });

        foreach (var r in batch)
        {
            var time = r.Time.ToUnixTimeMilliseconds();
            object?[] values = [time, r.Client is null ? null : AddressKey.Of(r.Client), r.Client?.ToString(), r.ClientPort, r.User, r.Method, r.Host, r.Port,
                r.Addresses.Count == 0 ? null : string.Join(',', r.Addresses), r.Cnames.Count == 0 ? null : string.Join(',', r.Cnames), r.Dialed?.ToString(),
                r.Decision, r.Reason, r.Rule, r.Entry, r.Feed, r.Status, r.BytesUp, r.BytesDown, r.DurationMs, r.TraceId];
            for (var i = 0; i < values.Length; i++)
            {
                p[i].Value = values[i] ?? DBNull.Value;
            }

            var id = (long)insert.ExecuteScalar()!;
            foreach (var a in r.Addresses)
            {
                aId.Value = id;
                aAddress.Value = AddressKey.Of(a);
                aTime.Value = time;
                address.ExecuteNonQuery();
                if (r.Host is not null && !string.Equals(r.Host, a.ToString(), StringComparison.Ordinal))
                {
                    dName.Value = r.Host;
                    dAddress.Value = AddressKey.Of(a);
                    dText.Value = a.ToString();
                    dTime.Value = time;
                    dns.ExecuteNonQuery();
                }
            }
        }

        transaction.Commit();
    }

    /// <summary>Deletes rows older than <paramref name="before"/>, then the oldest until the file is under <paramref name="maxBytes"/>.</summary>
    public long Prune(DateTimeOffset before, long maxBytes)
    {
        var cutoff = before.ToUnixTimeMilliseconds();
        var deleted = Execute($"DELETE FROM connection_addresses WHERE time < {cutoff}; DELETE FROM connections WHERE time < {cutoff}; DELETE FROM resolutions WHERE last_seen < {cutoff};");
        for (var i = 0; i < 20 && SizeBytes() > maxBytes; i++)
        {
            // The oldest tenth each round; freed pages are reused by later inserts.
            var count = Scalar("SELECT count(*) FROM connections");
            if (count == 0)
            {
                break;
            }

            var edge = Scalar($"SELECT time FROM connections ORDER BY time LIMIT 1 OFFSET {Math.Max(1, count / 10)}");
            deleted += Execute($"DELETE FROM connection_addresses WHERE time < {edge}; DELETE FROM connections WHERE time < {edge};");
        }

        Execute("PRAGMA wal_checkpoint(TRUNCATE);");
        return deleted;
    }

    /// <summary>The database's live size (pages in use), not counting free pages.</summary>
    public long SizeBytes() =>
        (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * Scalar("PRAGMA page_size");

    private long Scalar(string sql)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, CultureInfo.InvariantCulture);
    }

    private int Execute(string sql)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public void Dispose() => _writer.Dispose();
}
