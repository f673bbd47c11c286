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
}
