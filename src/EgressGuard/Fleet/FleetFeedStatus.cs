using System.Text.Json.Nodes;
using EgressGuard.ThreatFeeds;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// Each node's feed status in <c>eg_feed_status</c> (one row per node and feed, written when it
/// changes), so that one node shows which nodes run on which feed versions (<c>GET /fleet/feeds</c>).
/// </summary>
internal sealed class FleetFeedStatus(FleetDatabase db, FeedManager feeds) : IFleetParticipant
{
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);

    public async Task SyncAsync(bool atStart, CancellationToken cancellationToken)
    {
        var changed = feeds.States
            .Select(s => (s.Name, Json: JsonSerializer.Serialize(new
            {
                loaded = s.Loaded,
                entries = s.EntryCount,
                version = s.Version,
                loadedAt = s.LoadedAt,
                lastAttempt = s.LastAttempt,
                lastSuccess = s.LastSuccess,
                lastError = s.LastError,
                consecutiveFailures = s.ConsecutiveFailures,
            })))
            .Where(s => !_written.TryGetValue(s.Name, out var last) || last != s.Json)
            .ToList();
        if (changed.Count == 0)
        {
            return;
        }

        await db.RunAsync(async connection =>
        {
            foreach (var (name, json) in changed)
            {
                await using var upsert = new NpgsqlCommand("""
                    INSERT INTO eg_feed_status (node, feed, status, updated) VALUES ($1, $2, $3::jsonb, now())
                    ON CONFLICT (node, feed) DO UPDATE SET status = EXCLUDED.status, updated = EXCLUDED.updated
                    """, connection);
                upsert.Parameters.AddWithValue(db.Node);
                upsert.Parameters.AddWithValue(name);
                upsert.Parameters.AddWithValue(json);
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                _written[name] = json;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every node's status of every feed.</summary>
    public Task<IReadOnlyList<JsonObject>> AllAsync(CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<JsonObject>>(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT node, feed, status, updated FROM eg_feed_status ORDER BY feed, node", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<JsonObject>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var status = JsonNode.Parse(reader.GetString(2))!.AsObject();
                status["node"] = reader.GetString(0);
                status["feed"] = reader.GetString(1);
                status["updated"] = reader.GetFieldValue<DateTimeOffset>(3);
                rows.Add(status);
            }

            return rows;
        }, cancellationToken);
}
