using System.Net;
using EgressGuard.History;
using Microsoft.Data.Sqlite;

namespace EgressGuard.Tests.History;

public sealed class HistoryMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

    // The schema as released before the steps were numbered (user_version 0, no groups column).
    private const string UnversionedSchema = """
        CREATE TABLE connections (
            id INTEGER PRIMARY KEY,
            time INTEGER NOT NULL, last_time INTEGER NOT NULL, count INTEGER NOT NULL,
            client BLOB, client_text TEXT, client_port INTEGER, user TEXT,
            method TEXT NOT NULL, host TEXT, port INTEGER,
            address BLOB, addresses TEXT, cnames TEXT, dialed TEXT,
            decision TEXT NOT NULL, reason TEXT, rule TEXT, entry TEXT, feed TEXT,
            status INTEGER, bytes_up INTEGER, bytes_down INTEGER, duration_ms REAL, trace_id TEXT);
        CREATE INDEX ix_connections_time ON connections(time);
        CREATE INDEX ix_connections_client ON connections(client, time);
        CREATE INDEX ix_connections_host ON connections(host, time);
        CREATE INDEX ix_connections_user ON connections(user, time) WHERE user IS NOT NULL;
        CREATE INDEX ix_connections_address ON connections(address, time);
        CREATE TABLE connection_addresses (connection_id INTEGER NOT NULL, address BLOB NOT NULL, time INTEGER NOT NULL);
        CREATE INDEX ix_connection_addresses ON connection_addresses(address, time);
        CREATE TABLE resolutions (
            name TEXT NOT NULL, address BLOB NOT NULL, address_text TEXT NOT NULL,
            first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (name, address));
        CREATE INDEX ix_resolutions_address ON resolutions(address);
        CREATE TABLE retro_hunts (
            source TEXT NOT NULL, destination TEXT NOT NULL, rule TEXT NOT NULL, reported INTEGER NOT NULL,
            PRIMARY KEY (source, destination, rule));
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-history-migration-" + Guid.NewGuid().ToString("N"));

    private string DbPath => Path.Combine(_dir, "history.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static HistoryRecord Row(DateTimeOffset time, string? user, IReadOnlyList<string> groups) => new()
    {
        Time = time,
        Client = IPAddress.Parse("10.1.2.3"),
        User = user,
        Groups = groups,
        Method = "CONNECT",
        Host = "c2.bad.example",
        Port = 443,
        Addresses = [IPAddress.Parse("198.51.100.7")],
        Decision = "deny",
        Rule = "feed:feodo",
        Status = 403,
    };

    private void CreateUnversionedDatabase()
    {
        Directory.CreateDirectory(_dir);
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = UnversionedSchema + $"""
            INSERT INTO connections (time, last_time, count, client_text, user, method, host, port, decision, rule, status)
            VALUES ({T0.ToUnixTimeMilliseconds()}, {T0.ToUnixTimeMilliseconds()}, 1, '10.1.2.3', 'alice@CORP.EXAMPLE', 'CONNECT', 'c2.bad.example', 443, 'deny', 'feed:feodo', 403);
            """;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Open_UnversionedDatabase_UpgradedToLatest_OldRowsKept()
    {
        CreateUnversionedDatabase();

        using (var store = new HistoryStore(DbPath))
        {
            using var connection = store.Open();
            Assert.Equal(HistoryMigrations.Latest, HistoryMigrations.Version(connection));
            store.Write([Row(T0.AddMinutes(1), "alice@CORP.EXAMPLE", ["staff", "CN=Proxy, Staff"])]);

            var rows = new HistoryQueries(store).Connections(new HistoryFilter { Source = "alice@CORP.EXAMPLE" });

            Assert.Equal(2, rows.Count);
            Assert.Equal(["staff", "CN=Proxy, Staff"], rows[0].Groups);
            Assert.Equal((T0, "c2.bad.example", "deny"), (rows[1].Time, rows[1].Host, rows[1].Decision));
            Assert.Empty(rows[1].Groups);
        }

        // A second start applies nothing and keeps everything.
        using (var again = new HistoryStore(DbPath))
        using (var connection = again.Open())
        {
            Assert.Equal(0, HistoryMigrations.Apply(connection));
            Assert.Equal(2, new HistoryQueries(again).Connections(new HistoryFilter()).Count);
        }
    }

    [Fact]
    public void Open_Version2Database_UpstreamColumnAdded_OldRowsKept()
    {
        CreateUnversionedDatabase();
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            // A database as step 2 left it: groups, no upstream.
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE connections ADD COLUMN groups TEXT; PRAGMA user_version = 2;";
            command.ExecuteNonQuery();
        }

        using var store = new HistoryStore(DbPath);
        using (var connection = store.Open())
        {
            Assert.Equal(3, HistoryMigrations.Version(connection));
        }

        store.Write([Row(T0.AddMinutes(1), "alice@CORP.EXAMPLE", ["staff"]) with { Decision = "allow", Rule = "rule:via-eu", Upstream = "eu" }]);
        var rows = new HistoryQueries(store).Connections(new HistoryFilter());

        Assert.Equal(2, rows.Count);
        Assert.Equal(("rule:via-eu", "eu"), (rows[0].Rule, rows[0].Upstream));
        Assert.Equal(("feed:feodo", null), (rows[1].Rule, rows[1].Upstream));
    }

    [Fact]
    public void Open_NewFile_EveryStepApplied()
    {
        using var store = new HistoryStore(DbPath);
        using var connection = store.Open();

        Assert.Equal(HistoryMigrations.Latest, HistoryMigrations.Version(connection));
        using var columns = connection.CreateCommand();
        columns.CommandText = "SELECT count(*) FROM pragma_table_info('connections') WHERE name IN ('groups', 'upstream')";
        Assert.Equal(2L, columns.ExecuteScalar());
    }

    [Fact]
    public void TopTalkers_UserWithGroups_TheLatestGroups()
    {
        using var store = new HistoryStore(DbPath);
        store.Write([Row(T0, "alice@CORP.EXAMPLE", ["staff"]), Row(T0.AddMinutes(1), "alice@CORP.EXAMPLE", ["staff", "devs"]), Row(T0.AddMinutes(2), null, [])]);

        var top = new HistoryQueries(store).TopTalkers(T0, T0.AddHours(1));

        var alice = Assert.Single(top, t => t.User == "alice@CORP.EXAMPLE");
        Assert.Equal(2, alice.Denies);
        Assert.Equal(["staff", "devs"], alice.Groups);
        Assert.Empty(Assert.Single(top, t => t.User is null).Groups);
    }
}
