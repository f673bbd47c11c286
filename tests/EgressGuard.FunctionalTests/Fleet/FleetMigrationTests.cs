using EgressGuard.Fleet;
using EgressGuard.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EgressGuard.FunctionalTests.Fleet;

public sealed class FleetMigrationTests
{
    [PostgresFact]
    public async Task MigrateAsync_SeveralNodesAtOnce_EachStepAppliedOnce()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var databases = Enumerable.Range(0, 4)
            .Select(i => new FleetDatabase(postgres.ConnectionString, $"node-{i}", TimeSpan.FromSeconds(3), TimeProvider.System, NullLogger<FleetDatabase>.Instance))
            .ToList();
        try
        {
            var applied = await Task.WhenAll(databases.Select(d => d.MigrateAsync(CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(FleetMigrations.Steps.Count, applied.Sum());
            await using var connection = new NpgsqlConnection(postgres.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*), max(version) FROM eg_schema", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(FleetMigrations.Steps.Count, reader.GetInt64(0));
            Assert.Equal(FleetMigrations.Steps[^1].Version, reader.GetInt32(1));
            await reader.DisposeAsync();

            // Idempotent: a later start applies nothing.
            Assert.Equal(0, await databases[0].MigrateAsync(CancellationToken.None));
        }
        finally
        {
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }

    [PostgresFact]
    public async Task MigrateAsync_DatabaseAtVersion2WithRows_GroupsAndUpstreamStepsAdded_RowsKept()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using (var connection = new NpgsqlConnection(postgres.ConnectionString))
        {
            // A fleet database as version 2 left it: a day partition holding one row, no groups or upstream column.
            await connection.OpenAsync();
            var sql = "CREATE TABLE eg_schema (version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now());\n"
                + string.Join("\n", FleetMigrations.Steps.Where(s => s.Version <= 2).Select(s => s.Sql + $"\nINSERT INTO eg_schema (version, name) VALUES ({s.Version}, 'old');"))
                + """

                CREATE TABLE eg_connections_20261129 PARTITION OF eg_connections FOR VALUES FROM ('2026-11-29') TO ('2026-11-30');
                INSERT INTO eg_connections (time, last_time, count, node, "user", method, host, port, decision)
                VALUES ('2026-11-29T09:00:00Z', '2026-11-29T09:00:00Z', 1, 'node-0', 'alice@CORP.EXAMPLE', 'GET', 'c2.test', 80, 'deny');
                """;
            await using var old = new NpgsqlCommand(sql, connection);
            await old.ExecuteNonQueryAsync();
        }

        await using var database = new FleetDatabase(postgres.ConnectionString, "node-0", TimeSpan.FromSeconds(3), TimeProvider.System, NullLogger<FleetDatabase>.Instance);
        Assert.Equal(FleetMigrations.Steps.Count - 2, await database.MigrateAsync(CancellationToken.None));

        await using var check = new NpgsqlConnection(postgres.ConnectionString);
        await check.OpenAsync();
        await using var rows = new NpgsqlCommand("""SELECT "user", host, groups IS NULL, upstream IS NULL FROM eg_connections_20261129""", check);
        await using var reader = await rows.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("alice@CORP.EXAMPLE", "c2.test", true, true), (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        Assert.False(await reader.ReadAsync());
    }
}
