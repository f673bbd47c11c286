using EgressGuard.Storage;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// The shared PostgreSQL database: one pooled data source for every fleet component, the schema
/// migrations, and the health every operation reports into (<see cref="StoreHealth"/>).
/// </summary>
internal sealed partial class FleetDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly ILogger<FleetDatabase> _logger;

    public FleetDatabase(string connectionString, string node, TimeSpan timeout, TimeProvider time, ILogger<FleetDatabase> logger)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Bounded waits: a store that is down or slow must cost an admin edit seconds, never a request.
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        builder.Timeout = Math.Min(builder.Timeout, seconds);
        builder.CommandTimeout = Math.Min(builder.CommandTimeout, seconds);
        builder.ApplicationName ??= $"egressguard/{node}";
        ConnectionString = builder.ConnectionString;
        _source = NpgsqlDataSource.Create(builder);
        Node = node;
        Health = new StoreHealth(time);
        _logger = logger;
    }

    /// <summary>This node's name (<c>Node:Name</c>), stored with every row it writes.</summary>
    public string Node { get; }

    public StoreHealth Health { get; }

    /// <summary>For the listener's dedicated connection (not pooled: it lives as long as the node).</summary>
    public string ConnectionString { get; }

    public NpgsqlDataSource Source => _source;

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection, recording success or failure in
    /// <see cref="Health"/>. Failures are rethrown for the caller to decide (refuse, retry, queue).
    /// </summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(connection).ConfigureAwait(false);
            Health.Succeeded();
            return result;
        }
        catch (Exception ex) when (IsStoreFault(ex) && !cancellationToken.IsCancellationRequested)
        {
            if (Health.Failed(ex.Message))
            {
                LogDown(_logger, ex.Message);
            }

            throw new StoreUnavailableException(ex.Message, ex);
        }
    }

    /// <summary>The synchronous <see cref="RunAsync{T}"/>, for the history writer's loop and the history queries (synchronous like SQLite's).</summary>
    public T Run<T>(Func<NpgsqlConnection, T> work)
    {
        try
        {
            using var connection = _source.OpenConnection();
            var result = work(connection);
            Health.Succeeded();
            return result;
        }
        catch (Exception ex) when (IsStoreFault(ex))
        {
            if (Health.Failed(ex.Message))
            {
                LogDown(_logger, ex.Message);
            }

            throw new StoreUnavailableException(ex.Message, ex);
        }
    }

    public Task RunAsync(Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken = default) =>
        RunAsync(async c => { await work(c).ConfigureAwait(false); return true; }, cancellationToken);

    /// <summary>What counts as "the store is unavailable" rather than a bug.</summary>
    public static bool IsStoreFault(Exception ex) =>
        ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException or StoreUnavailableException
        || (ex is OperationCanceledException && ex.InnerException is TimeoutException or NpgsqlException);

    /// <summary>
    /// Creates or upgrades the schema. Safe with several nodes starting at once: a session advisory
    /// lock serialises them, and each step is applied only when <c>eg_schema</c> lacks it.
    /// </summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var applied = await RunAsync(async connection =>
        {
            await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({FleetMigrations.LockKey})", connection))
            {
                // Waiting for another node's migration can take longer than one statement's timeout.
                lockCommand.CommandTimeout = 0;
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS eg_schema (version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())", connection))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var done = new HashSet<int>();
                await using (var read = new NpgsqlCommand("SELECT version FROM eg_schema", connection))
                await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        done.Add(reader.GetInt32(0));
                    }
                }

                var count = 0;
                foreach (var (version, name, sql) in FleetMigrations.Steps.Where(s => !done.Contains(s.Version)))
                {
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (var step = new NpgsqlCommand(sql, connection, transaction))
                    {
                        await step.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await using (var record = new NpgsqlCommand("INSERT INTO eg_schema (version, name) VALUES ($1, $2)", connection, transaction))
                    {
                        record.Parameters.AddWithValue(version);
                        record.Parameters.AddWithValue(name);
                        await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    count++;
                }

                return count;
            }
            finally
            {
                await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({FleetMigrations.LockKey})", connection);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        LogMigrated(_logger, applied, FleetMigrations.Steps[^1].Version, stopwatch.ElapsedMilliseconds);
        return applied;
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "Store: schema at v{Version} ({Applied} step(s) applied, {Ms} ms)")]
    private static partial void LogMigratedCore(ILogger logger, int version, int applied, long ms);

    private static void LogMigrated(ILogger logger, int applied, int version, long ms) => LogMigratedCore(logger, version, applied, ms);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Error, Message = "Store: PostgreSQL unavailable, running on the last good state: {Error}")]
    private static partial void LogDown(ILogger logger, string error);
}
