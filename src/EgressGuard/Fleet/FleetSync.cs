using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// Keeps this node in step with the fleet:
/// 1. at start (before the proxy listens, bounded by a few store timeouts): migrate the schema,
///    then take the fleet's rules and quarantine; when the store is down, start on the local copy;
/// 2. then hold one connection that <c>LISTEN</c>s on the <c>egressguard</c> channel: a
///    notification, or <see cref="StoreOptions.PollInterval"/> without one (a missed notification),
///    makes every participant compare versions and take what changed;
/// 3. when the store goes away, retry with backoff (1 s·2ⁿ, at most 30 s); requests never wait on
///    any of this: they use what is in memory.
/// </summary>
internal sealed partial class FleetSync : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly FleetDatabase _db;
    private readonly StoreOptions _options;
    private readonly IReadOnlyList<IFleetParticipant> _participants;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetSync> _logger;
    private bool _started;
    private long _syncs;

    public FleetSync(FleetDatabase db, StoreOptions options, IEnumerable<IFleetParticipant> participants, TimeProvider time, ILogger<FleetSync> logger)
    {
        _db = db;
        _options = options;
        _participants = participants.ToList();
        _time = time;
        _logger = logger;
    }

    /// <summary>Completed syncs since start (tests and /status).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_options.Timeout * 3);
        try
        {
            await StartupSyncAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (FleetDatabase.IsStoreFault(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _db.Health.Failed(ex.Message);
            LogStartOffline(_logger, ex.Message);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StartupSyncAsync(CancellationToken cancellationToken)
    {
        await _db.MigrateAsync(cancellationToken).ConfigureAwait(false);
        await SyncAllAsync(atStart: true, cancellationToken).ConfigureAwait(false);
        _started = true;
    }

    private async Task SyncAllAsync(bool atStart, CancellationToken cancellationToken)
    {
        foreach (var participant in _participants)
        {
            await participant.SyncAsync(atStart, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _syncs);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_db.ConnectionString);
                await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
                await using (var listen = new NpgsqlCommand($"LISTEN {FleetRules.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                if (!_db.Health.Up)
                {
                    // Back from an outage: pooled connections to the old server are dead.
                    _db.Source.Clear();
                    LogBack(_logger);
                }

                _db.Health.Succeeded();
                if (!_started)
                {
                    await StartupSyncAsync(stoppingToken).ConfigureAwait(false);
                }

                backoff = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await SyncAllAsync(atStart: false, stoppingToken).ConfigureAwait(false);
                    // Returns at the first notification, or after the poll interval without one.
                    await connection.WaitAsync(_options.PollInterval, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (FleetDatabase.IsStoreFault(ex) || ex is OperationCanceledException)
            {
                if (_db.Health.Failed(ex.Message))
                {
                    _db.Source.Clear();
                    LogDown(_logger, ex.Message);
                }

                try
                {
                    await Task.Delay(backoff, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
            }
        }
    }

    [LoggerMessage(EventId = 1810, Level = LogLevel.Warning, Message = "Store: PostgreSQL not reachable at start ({Error}); running on the local copy of the rules and quarantine, retrying in the background")]
    private static partial void LogStartOffline(ILogger logger, string error);

    [LoggerMessage(EventId = 1811, Level = LogLevel.Error, Message = "Store: PostgreSQL connection lost ({Error}); enforcing the last good rules and quarantine, retrying with backoff")]
    private static partial void LogDown(ILogger logger, string error);

    [LoggerMessage(EventId = 1812, Level = LogLevel.Information, Message = "Store: PostgreSQL reachable again; syncing")]
    private static partial void LogBack(ILogger logger);
}
