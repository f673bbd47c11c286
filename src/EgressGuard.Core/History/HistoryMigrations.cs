using Microsoft.Data.Sqlite;

namespace EgressGuard.History;

/// <summary>
/// The SQLite schema, as numbered steps recorded in <c>PRAGMA user_version</c>. A step is never
/// edited once released: a change is a new step. Each runs in its own transaction with its version
/// bump, so a crash leaves the database at the last whole step and the next start resumes there.
/// </summary>
/// <remarks>
/// Databases made before the steps were numbered are at version 0 with step 1's tables already in
/// place: step 1 only creates what is missing, so they upgrade like a fresh file and keep their rows.
/// Steps only add (tables, columns, indexes): an older EgressGuard can still write to a newer file.
/// </remarks>
internal static class HistoryMigrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> Steps =
    [
        (1, "connections, addresses, passive DNS, retro-hunt findings", """
            CREATE TABLE IF NOT EXISTS connections (
                id INTEGER PRIMARY KEY,
                time INTEGER NOT NULL, last_time INTEGER NOT NULL, count INTEGER NOT NULL,
                client BLOB, client_text TEXT, client_port INTEGER, user TEXT,
                method TEXT NOT NULL, host TEXT, port INTEGER,
                address BLOB, addresses TEXT, cnames TEXT, dialed TEXT,
                decision TEXT NOT NULL, reason TEXT, rule TEXT, entry TEXT, feed TEXT,
                status INTEGER, bytes_up INTEGER, bytes_down INTEGER, duration_ms REAL, trace_id TEXT);
            CREATE INDEX IF NOT EXISTS ix_connections_time ON connections(time);
            CREATE INDEX IF NOT EXISTS ix_connections_client ON connections(client, time);
            CREATE INDEX IF NOT EXISTS ix_connections_host ON connections(host, time);
            CREATE INDEX IF NOT EXISTS ix_connections_user ON connections(user, time) WHERE user IS NOT NULL;
            CREATE INDEX IF NOT EXISTS ix_connections_address ON connections(address, time);
            CREATE TABLE IF NOT EXISTS connection_addresses (
                connection_id INTEGER NOT NULL, address BLOB NOT NULL, time INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_connection_addresses ON connection_addresses(address, time);
            CREATE TABLE IF NOT EXISTS resolutions (
                name TEXT NOT NULL, address BLOB NOT NULL, address_text TEXT NOT NULL,
                first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
                PRIMARY KEY (name, address));
            CREATE INDEX IF NOT EXISTS ix_resolutions_address ON resolutions(address);
            CREATE TABLE IF NOT EXISTS retro_hunts (
                source TEXT NOT NULL, destination TEXT NOT NULL, rule TEXT NOT NULL, reported INTEGER NOT NULL,
                PRIMARY KEY (source, destination, rule));
            """),
        (2, "the user's groups at decision time", """
            ALTER TABLE connections ADD COLUMN groups TEXT;
            """),
        (3, "who carried the exchange (egressguard.upstream)", """
            ALTER TABLE connections ADD COLUMN upstream TEXT;
            """),
    ];

    /// <summary>The version a database has once <see cref="Apply"/> ran.</summary>
    public static int Latest => Steps[^1].Version;

    /// <summary>Applies the steps the database does not have yet; returns how many ran.</summary>
    public static int Apply(SqliteConnection connection)
    {
        var applied = 0;
        foreach (var (version, _, sql) in Steps)
        {
            // Read per step: a second process opening the same file may have moved it on meanwhile.
            using var transaction = connection.BeginTransaction(deferred: false);
            if (Version(connection, transaction) >= version)
            {
                continue;
            }

            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // PRAGMA takes no parameters; the version is a constant from the list above.
            command.CommandText = sql + $"\nPRAGMA user_version = {version};";
            command.ExecuteNonQuery();
            transaction.Commit();
            applied++;
        }

        return applied;
    }

    public static int Version(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
