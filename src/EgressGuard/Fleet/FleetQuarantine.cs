using EgressGuard.Quarantine;
using EgressGuard.Storage;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// The fleet's quarantine in PostgreSQL (<c>eg_quarantine</c>, one row per source). Every change
/// bumps the <c>quarantine</c> version and notifies; every node then reloads the active entries
/// into its <see cref="QuarantineStore"/> (which keeps its file as the local copy and cuts the
/// tunnels of sources new to it).
/// </summary>
internal sealed partial class FleetQuarantine : IQuarantineReplica, IFleetParticipant
{
    private readonly FleetDatabase _db;
    private readonly QuarantineStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetQuarantine> _logger;
    private readonly ConcurrentQueue<QuarantineEntry> _pending = new();
    private long _version = -1;
    private int _flushing;

    public FleetQuarantine(FleetDatabase db, QuarantineStore store, TimeProvider time, ILogger<FleetQuarantine> logger)
    {
        _db = db;
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>Automatic quarantines not yet in the store.</summary>
    public int Pending => _pending.Count;

    public Task PutAsync(QuarantineEntry entry) => _db.RunAsync(connection => ChangeAsync(connection, entry, null));

    public Task RemoveAsync(IPAddress address) => _db.RunAsync(connection => ChangeAsync(connection, null, address));

    public void PutLater(QuarantineEntry entry)
    {
        _pending.Enqueue(entry);
        _ = FlushAsync(CancellationToken.None);
    }

    public async Task SyncAsync(bool atStart, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _db.RunAsync(async connection =>
        {
            await using var version = new NpgsqlCommand("SELECT version FROM eg_versions WHERE name = 'quarantine'", connection);
            var current = (long)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (current == Interlocked.Read(ref _version) && !atStart)
            {
                return;
            }

            var entries = new List<QuarantineEntry>();
            await using (var read = new NpgsqlCommand("SELECT address, reason, since, until, by, alert_id FROM eg_quarantine WHERE until > $1", connection))
            {
                read.Parameters.AddWithValue(_time.GetUtcNow());
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    entries.Add(new QuarantineEntry(reader.GetFieldValue<IPAddress>(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4))
                    {
                        AlertId = reader.IsDBNull(5) ? null : reader.GetString(5),
                    });
                }
            }

            // Entries still queued here stay in force until the store has them.
            _store.ReplaceAll(entries.Concat(_pending));
            Interlocked.Exchange(ref _version, current);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty || Interlocked.Exchange(ref _flushing, 1) == 1)
        {
            return;
        }

        try
        {
            while (_pending.TryPeek(out var entry))
            {
                await _db.RunAsync(connection => ChangeAsync(connection, entry, null), cancellationToken).ConfigureAwait(false);
                _pending.TryDequeue(out _);
            }
        }
        catch (StoreUnavailableException ex)
        {
            // Kept: the next sync (after the store is back) sends them.
            LogQueued(_logger, _pending.Count, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _flushing, 0);
        }
    }

    private async Task ChangeAsync(NpgsqlConnection connection, QuarantineEntry? put, IPAddress? remove)
    {
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        NpgsqlCommand change;
        if (put is not null)
        {
            change = new NpgsqlCommand("""
                INSERT INTO eg_quarantine (address, reason, since, until, by, alert_id, node) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (address) DO UPDATE SET reason = EXCLUDED.reason, since = EXCLUDED.since, until = EXCLUDED.until,
                    by = EXCLUDED.by, alert_id = EXCLUDED.alert_id, node = EXCLUDED.node
                """, connection, transaction);
            change.Parameters.AddWithValue(put.Address);
            change.Parameters.AddWithValue(put.Reason);
            change.Parameters.AddWithValue(put.Since);
            change.Parameters.AddWithValue(put.Until);
            change.Parameters.AddWithValue(put.By);
            change.Parameters.AddWithValue((object?)put.AlertId ?? DBNull.Value);
            change.Parameters.AddWithValue(_db.Node);
        }
        else
        {
            change = new NpgsqlCommand("DELETE FROM eg_quarantine WHERE address = $1", connection, transaction);
            change.Parameters.AddWithValue(Addressing.AddressNormalizer.Canonicalize(remove!));
        }

        await using (change)
        {
            await change.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await using (var bump = new NpgsqlCommand("UPDATE eg_versions SET version = version + 1 WHERE name = 'quarantine' RETURNING version", connection, transaction))
        {
            var version = (long)(await bump.ExecuteScalarAsync().ConfigureAwait(false))!;
            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction);
            notify.Parameters.AddWithValue(FleetRules.Channel);
            notify.Parameters.AddWithValue($"quarantine:{version}");
            await notify.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1840, Level = LogLevel.Warning, Message = "Store: {Count} automatic quarantine(s) in force here, not yet shared with the fleet ({Error}); retrying")]
    private static partial void LogQueued(ILogger logger, int count, string error);
}
