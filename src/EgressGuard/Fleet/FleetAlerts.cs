using System.Text.Json.Nodes;
using System.Threading.Channels;
using EgressGuard.Alerts;
using EgressGuard.Storage;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// Alerts shared by the fleet. Deduplication across nodes: each node's first attempt in its own
/// window claims the (source, destination) window in <c>eg_alert_windows</c>; the claim that opens
/// the window (none open, or the open one older than <c>Alerts:DedupWindow</c>) is delivered, the
/// others count as repeats of it. Every alert is kept in <c>eg_alerts</c> (the API and reports read
/// them there, so they survive restarts and are the same on every node).
/// 1. the proxy path only queues (bounded: past 10,000 waiting, attempts are dropped and counted);
/// 2. the worker claims new ones in order, folds repeats into one update per alert per batch;
/// 3. with the store down a new alert is delivered by this node at once (an alert is never lost
///    for want of a database) and stored when the store is back.
/// </summary>
internal sealed partial class FleetAlerts : BackgroundService, IAlertReplica, IFleetParticipant
{
    /// <summary>A queue item that only makes the worker send what it kept while the store was away.</summary>
    private static readonly Alert Flush = new() { Id = string.Empty, Kind = "flush", SourceAddress = null, Destination = string.Empty, FirstSeen = default, LastSeen = default };

    private const int MaxMapped = 100_000;
    private const int MaxUnsaved = 10_000;

    private readonly FleetDatabase _db;
    private readonly TimeSpan _window;
    private readonly Lazy<AlertService> _alerts;
    private readonly ILogger<FleetAlerts> _logger;
    private readonly Channel<(Alert Alert, bool IsNew, bool StoreOnly)> _queue;
    private readonly ConcurrentDictionary<string, string> _fleetIds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Alert> _unsaved = new();
    private long _dropped;

    public FleetAlerts(FleetDatabase db, AlertOptions options, IServiceProvider services, FleetMetrics metrics, ILogger<FleetAlerts> logger)
    {
        _db = db;
        _window = options.DedupWindow;
        _alerts = new Lazy<AlertService>(services.GetRequiredService<AlertService>);
        _logger = logger;
        _queue = Channel.CreateBounded<(Alert, bool, bool)>(
            new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        metrics.ObserveAlertsDropped(() => Interlocked.Read(ref _dropped));
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Observe(Alert alert, bool isNewHere) => _queue.Writer.TryWrite((alert, isNewHere, false));

    public void Store(Alert alert) => _queue.Writer.TryWrite((alert, true, true));

    public Task SyncAsync(bool atStart, CancellationToken cancellationToken)
    {
        if (!_unsaved.IsEmpty)
        {
            _queue.Writer.TryWrite((Flush, false, true));
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JsonObject>> RecentAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken = default) =>
        _db.RunAsync<IReadOnlyList<JsonObject>>(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT body, count, last_seen FROM eg_alerts WHERE last_seen >= $1 ORDER BY first_seen DESC LIMIT $2", connection);
            command.Parameters.AddWithValue(since);
            command.Parameters.AddWithValue(limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<JsonObject>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var body = JsonNode.Parse(reader.GetString(0))!.AsObject();
                body["count"] = reader.GetInt64(1);
                body["lastSeen"] = reader.GetFieldValue<DateTimeOffset>(2).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
                rows.Add(body);
            }

            return rows;
        }, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(Alert Alert, bool IsNew, bool StoreOnly)>();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < 1000 && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await ProcessAsync(batch, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProcessAsync(List<(Alert Alert, bool IsNew, bool StoreOnly)> batch, CancellationToken cancellationToken)
    {
        var repeats = new Dictionary<string, (long Count, DateTimeOffset Last)>(StringComparer.Ordinal);
        foreach (var (alert, isNew, storeOnly) in batch)
        {
            if (ReferenceEquals(alert, Flush))
            {
                continue;
            }

            if (storeOnly)
            {
                await SaveAsync(alert, cancellationToken).ConfigureAwait(false);
            }
            else if (isNew)
            {
                await ClaimAsync(alert, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var id = _fleetIds.TryGetValue(alert.Id, out var fleetId) ? fleetId : alert.Id;
                repeats[id] = repeats.TryGetValue(id, out var seen) ? (seen.Count + 1, alert.LastSeen > seen.Last ? alert.LastSeen : seen.Last) : (1, alert.LastSeen);
            }
        }

        if (repeats.Count > 0 || !_unsaved.IsEmpty)
        {
            try
            {
                await _db.RunAsync(async connection =>
                {
                    while (_unsaved.TryPeek(out var unsaved))
                    {
                        await InsertAsync(connection, unsaved, cancellationToken).ConfigureAwait(false);
                        _unsaved.TryDequeue(out _);
                    }

                    foreach (var (id, (count, last)) in repeats)
                    {
                        await using var update = new NpgsqlCommand("UPDATE eg_alerts SET count = count + $2, last_seen = greatest(last_seen, $3) WHERE id = $1", connection);
                        update.Parameters.AddWithValue(id);
                        update.Parameters.AddWithValue(count);
                        update.Parameters.AddWithValue(last);
                        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreUnavailableException)
            {
                // Repeats are counts only; the alert itself is delivered and kept.
            }
        }
    }

    private async Task ClaimAsync(Alert alert, CancellationToken cancellationToken)
    {
        string owner;
        try
        {
            owner = await _db.RunAsync(async connection =>
            {
                await using var claim = new NpgsqlCommand("""
                    INSERT INTO eg_alert_windows AS w (source, destination, alert_id, first_seen) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (source, destination) DO UPDATE SET
                        alert_id = CASE WHEN w.first_seen + $5 <= EXCLUDED.first_seen THEN EXCLUDED.alert_id ELSE w.alert_id END,
                        first_seen = CASE WHEN w.first_seen + $5 <= EXCLUDED.first_seen THEN EXCLUDED.first_seen ELSE w.first_seen END
                    RETURNING alert_id
                    """, connection);
                claim.Parameters.AddWithValue(alert.SourceAddress?.ToString() ?? "-");
                claim.Parameters.AddWithValue(alert.Destination);
                claim.Parameters.AddWithValue(alert.Id);
                claim.Parameters.AddWithValue(alert.FirstSeen);
                claim.Parameters.AddWithValue(_window);
                var id = (string)(await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                if (id == alert.Id)
                {
                    await InsertAsync(connection, alert, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await using var update = new NpgsqlCommand("UPDATE eg_alerts SET count = count + 1, last_seen = greatest(last_seen, $2) WHERE id = $1", connection);
                    update.Parameters.AddWithValue(id);
                    update.Parameters.AddWithValue(alert.LastSeen);
                    await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return id;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            // No store, no fleet-wide dedup: this node's own window still holds repeats back.
            owner = alert.Id;
            Keep(alert);
            LogUnshared(_logger, alert.Id, ex.Message);
        }

        if (_fleetIds.Count > MaxMapped)
        {
            _fleetIds.Clear();
        }

        _fleetIds[alert.Id] = owner;
        if (owner == alert.Id)
        {
            _alerts.Value.Deliver(alert);
        }
    }

    private async Task SaveAsync(Alert alert, CancellationToken cancellationToken)
    {
        try
        {
            await _db.RunAsync(connection => InsertAsync(connection, alert, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            Keep(alert);
        }
    }

    private void Keep(Alert alert)
    {
        if (_unsaved.Count < MaxUnsaved)
        {
            _unsaved.Enqueue(alert);
        }
        else
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task InsertAsync(NpgsqlConnection connection, Alert alert, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO eg_alerts (id, node, kind, source, destination, first_seen, last_seen, count, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT (id) DO NOTHING
            """, connection);
        insert.Parameters.AddWithValue(alert.Id);
        insert.Parameters.AddWithValue(alert.Node ?? _db.Node);
        insert.Parameters.AddWithValue(alert.Kind);
        insert.Parameters.AddWithValue((object?)alert.SourceAddress?.ToString() ?? DBNull.Value);
        insert.Parameters.AddWithValue(alert.Destination);
        insert.Parameters.AddWithValue(alert.FirstSeen);
        insert.Parameters.AddWithValue(alert.LastSeen);
        insert.Parameters.AddWithValue(alert.Count);
        insert.Parameters.AddWithValue(JsonSerializer.Serialize(AlertDto.From(alert)));
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1850, Level = LogLevel.Warning, Message = "Store: alert {AlertId} delivered by this node without fleet-wide dedup (store unavailable: {Error}); it is stored when the store is back")]
    private static partial void LogUnshared(ILogger logger, string alertId, string error);
}
