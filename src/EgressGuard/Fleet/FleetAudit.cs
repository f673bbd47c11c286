using EgressGuard.Admin;
using EgressGuard.Audit;
using EgressGuard.Storage;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// The fleet's audit trail in <c>eg_audit</c>: every node's rule and quarantine changes, who, when,
/// before and after, with the node that took the change. Entries are written to the local audit
/// file first (as on a single node), then sent from a queue that survives an outage of the store.
/// </summary>
internal sealed class FleetAudit : IFleetParticipant, IAuditReplica
{
    private readonly FleetDatabase _db;
    private readonly ConcurrentQueue<(DateTimeOffset Time, string Json)> _pending = new();
    private int _sending;

    public FleetAudit(FleetDatabase db, AuditLog audit)
    {
        _db = db;
        audit.Shared = this;
    }

    public void Append(DateTimeOffset time, string json)
    {
        _pending.Enqueue((time, json));
        _ = SendAsync(CancellationToken.None);
    }

    public Task SyncAsync(bool atStart, CancellationToken cancellationToken) => SendAsync(cancellationToken);

    public Task<IReadOnlyList<string>> ReadAsync(DateTimeOffset from) =>
        _db.RunAsync<IReadOnlyList<string>>(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT entry::text FROM eg_audit WHERE time >= $1 ORDER BY time, id", connection);
            command.Parameters.AddWithValue(from < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : from);
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            var lines = new List<string>();
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                lines.Add(reader.GetString(0));
            }

            return lines;
        });

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty || Interlocked.Exchange(ref _sending, 1) == 1)
        {
            return;
        }

        try
        {
            while (_pending.TryPeek(out var entry))
            {
                await _db.RunAsync(async connection =>
                {
                    await using var insert = new NpgsqlCommand("INSERT INTO eg_audit (time, node, entry) VALUES ($1, $2, jsonb_set($3::jsonb, '{egressguard.node}', to_jsonb($2::text)))", connection);
                    insert.Parameters.AddWithValue(entry.Time);
                    insert.Parameters.AddWithValue(_db.Node);
                    insert.Parameters.AddWithValue(entry.Json);
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                _pending.TryDequeue(out _);
            }
        }
        catch (StoreUnavailableException)
        {
            // Kept in order; the next sync after the store is back sends them.
        }
        finally
        {
            Volatile.Write(ref _sending, 0);
        }
    }
}
