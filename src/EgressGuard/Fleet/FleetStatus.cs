namespace EgressGuard.Fleet;

/// <summary>What <c>/readyz</c> and <c>/status</c> say about the store: <c>sqlite</c> (single node) or the fleet database's health and backlog.</summary>
internal sealed class FleetStatus
{
    private readonly FleetDatabase? _db;
    private readonly IServiceProvider _services;

    public FleetStatus(IServiceProvider services)
    {
        _services = services;
        _db = services.GetService<FleetDatabase>();
        Node = services.GetRequiredService<NodeOptions>().Name;
    }

    public string Node { get; }

    /// <summary><c>local</c>, <c>up</c> or <c>down</c>.</summary>
    public string State => _db is null ? "local" : _db.Health.Up ? "up" : "down";

    /// <summary>The <c>/readyz</c> detail line.</summary>
    public string ReadyLine() => _db is null
        ? string.Empty
        : _db.Health.Up ? "store: up\n" : $"store: down ({_db.Health.LastError}); enforcing the last good rules and quarantine\n";

    public object Json()
    {
        if (_db is null)
        {
            return new { kind = "local", node = Node, state = "local" };
        }

        var writer = _services.GetRequiredService<History.HistoryService>().Writer;
        return _db.Health.Json(Node, new
        {
            historyQueued = writer?.Queued,
            historyDropped = writer?.Dropped,
            quarantinePending = _services.GetService<FleetQuarantine>()?.Pending,
            alertsDropped = _services.GetService<FleetAlerts>()?.Dropped,
            syncs = _services.GetService<FleetSync>()?.Syncs,
        });
    }
}
