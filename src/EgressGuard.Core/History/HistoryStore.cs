using EgressGuard.Files;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EgressGuard.History;

/// <summary>
/// The SQLite database: schema, batched writes, retention. One writer connection (used only by
/// <see cref="HistoryWriter"/>'s loop); readers open their own connections (WAL lets them read
/// while it writes).
/// </summary>
internal sealed class HistoryStore : IHistorySink, IDisposable
{
    // Not migration steps: journal_mode cannot change inside a transaction, and synchronous is per connection.
    private const string Pragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        """;

    private readonly SqliteConnection _writer;

    public HistoryStore(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);

        // SQLite would create the file 0644; created here 0600 first, it is opened as an empty
        // database, and SQLite gives its -wal and -shm files the database file's mode.
        PrivateFile.EnsureExists(path);
        _writer = Open();
        using var command = _writer.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        HistoryMigrations.Apply(_writer);
    }

    public string Path { get; }

    /// <summary>A local file: a failure is a full or broken disk, not an outage to wait out.</summary>
    public bool RetryFailedBatches => false;

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

    /// <summary>
    /// Writes a batch in one transaction. Kept cheap because it runs beside the proxy on the same
    /// cores: the first resolved address lives in the row itself (its own index), only further
    /// addresses of multi-address answers go to <c>connection_addresses</c>, and passive-DNS pairs
    /// are folded per batch (one upsert per distinct name and address, not per request).
    /// </summary>
    public void Write(IReadOnlyList<HistoryRecord> batch)
    {
        using var transaction = _writer.BeginTransaction();
        // The row insert goes straight to SQLite's C API: Microsoft.Data.Sqlite's per-execution
        // parameter handling cost ~20 µs a row here, the bare statement a fraction of it.
        var db = _writer.Handle!;
        Check(raw.sqlite3_prepare_v2(db, """
            INSERT INTO connections (time, last_time, count, client, client_text, client_port, user, method, host, port, address, addresses, cnames, dialed,
                decision, reason, rule, entry, feed, status, bytes_up, bytes_down, duration_ms, trace_id, groups, upstream)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26);
            """, out var insert), db);
        SqliteCommand? extra = null;
        var dns = new Dictionary<(string Name, IPAddress Address), (long First, long Last)>();
        try
        {
            foreach (var r in batch)
            {
                var time = r.Time.ToUnixTimeMilliseconds();
                var client = r.Client;
                raw.sqlite3_bind_int64(insert, 1, time);
                raw.sqlite3_bind_int64(insert, 2, (r.LastTime ?? r.Time).ToUnixTimeMilliseconds());
                raw.sqlite3_bind_int64(insert, 3, r.Count);
                Bind(insert, 4, client is null ? null : AddressKey.Of(client));
                Bind(insert, 5, client?.ToString());
                raw.sqlite3_bind_int(insert, 6, r.ClientPort);
                Bind(insert, 7, r.User);
                Bind(insert, 8, r.Method);
                Bind(insert, 9, r.Host);
                raw.sqlite3_bind_int(insert, 10, r.Port);
                Bind(insert, 11, r.Addresses.Count == 0 ? null : AddressKey.Of(r.Addresses[0]));
                Bind(insert, 12, r.Addresses.Count == 0 ? null : r.Addresses.Count == 1 ? r.Addresses[0].ToString() : string.Join(',', r.Addresses));
                Bind(insert, 13, r.Cnames.Count == 0 ? null : string.Join(',', r.Cnames));
                Bind(insert, 14, r.Dialed?.ToString());
                Bind(insert, 15, r.Decision);
                Bind(insert, 16, r.Reason);
                Bind(insert, 17, r.Rule);
                Bind(insert, 18, r.Entry);
                Bind(insert, 19, r.Feed);
                raw.sqlite3_bind_int(insert, 20, r.Status);
                raw.sqlite3_bind_int64(insert, 21, r.BytesUp);
                raw.sqlite3_bind_int64(insert, 22, r.BytesDown);
                raw.sqlite3_bind_double(insert, 23, r.DurationMs);
                Bind(insert, 24, r.TraceId == default ? null : r.TraceId.ToHexString());
                Bind(insert, 25, r.Groups.Count == 0 ? null : HistoryGroups.Serialize(r.Groups));
                Bind(insert, 26, r.Upstream);
                var step = raw.sqlite3_step(insert);
                raw.sqlite3_reset(insert);
                Check(step == raw.SQLITE_DONE ? raw.SQLITE_OK : step, db);
                if (r.Addresses.Count > 1)
                {
                    extra ??= ExtraAddressCommand(transaction);
                    var id = raw.sqlite3_last_insert_rowid(db);
                    for (var i = 1; i < r.Addresses.Count; i++)
                    {
                        extra.Parameters[0].Value = id;
                        extra.Parameters[1].Value = AddressKey.Of(r.Addresses[i]);
                        extra.Parameters[2].Value = time;
                        extra.ExecuteNonQuery();
                    }
                }

                if (r.Host is not null && r.Addresses.Count > 0 && !IPAddress.TryParse(r.Host, out _))
                {
                    foreach (var a in r.Addresses)
                    {
                        var last = (r.LastTime ?? r.Time).ToUnixTimeMilliseconds();
                        dns[(r.Host, a)] = dns.TryGetValue((r.Host, a), out var seen) ? (Math.Min(seen.First, time), Math.Max(seen.Last, last)) : (time, last);
                    }
                }
            }

            UpsertResolutions(transaction, dns);
        }
        finally
        {
            insert.Dispose();
            extra?.Dispose();
        }

        transaction.Commit();
    }

    private static void Bind(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_text(statement, index, value);
        }
    }

    private static void Bind(sqlite3_stmt statement, int index, byte[]? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_blob(statement, index, value);
        }
    }

    private static void Check(int result, sqlite3 db)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), result);
        }
    }

    private SqliteCommand ExtraAddressCommand(SqliteTransaction transaction)
    {
        var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO connection_addresses (connection_id, address, time) VALUES ($id, $address, $time);";
        command.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
        command.Parameters.Add(new SqliteParameter { ParameterName = "$address" });
        command.Parameters.Add(new SqliteParameter { ParameterName = "$time" });
        command.Prepare();
        return command;
    }

    private void UpsertResolutions(SqliteTransaction transaction, Dictionary<(string Name, IPAddress Address), (long First, long Last)> pairs)
    {
        if (pairs.Count == 0)
        {
            return;
        }

        using var dns = _writer.CreateCommand();
        dns.Transaction = transaction;
        dns.CommandText = """
            INSERT INTO resolutions (name, address, address_text, first_seen, last_seen) VALUES ($name, $address, $text, $first, $last)
            ON CONFLICT (name, address) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen);
            """;
        var name = dns.Parameters.Add(new SqliteParameter { ParameterName = "$name" });
        var address = dns.Parameters.Add(new SqliteParameter { ParameterName = "$address" });
        var text = dns.Parameters.Add(new SqliteParameter { ParameterName = "$text" });
        var first = dns.Parameters.Add(new SqliteParameter { ParameterName = "$first" });
        var last = dns.Parameters.Add(new SqliteParameter { ParameterName = "$last" });
        dns.Prepare();
        foreach (var ((n, a), (f, l)) in pairs)
        {
            name.Value = n;
            address.Value = AddressKey.Of(a);
            text.Value = a.ToString();
            first.Value = f;
            last.Value = l;
            dns.ExecuteNonQuery();
        }
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
