using System.Text.Json.Nodes;

namespace EgressGuard.Alerts;

/// <summary>
/// The fleet's shared alerts (fleet mode only): deduplication across nodes and alerts that outlive
/// a restart. Nothing here blocks the proxy path: calls queue work for a background worker.
/// </summary>
internal interface IAlertReplica
{
    /// <summary>
    /// An attempt this node saw (<paramref name="isNewHere"/>: first in this node's window). The
    /// store decides whether it opens a fleet-wide alert (then it is delivered through
    /// <see cref="AlertService.Deliver"/>) or repeats one already open on some node.
    /// </summary>
    void Observe(Alert alert, bool isNewHere);

    /// <summary>Stores an alert raised without dedup (a retro-hunt finding).</summary>
    void Store(Alert alert);

    /// <summary>The fleet's most recent alerts, newest first, as the API shows them; throws when the store is down.</summary>
    Task<IReadOnlyList<JsonObject>> RecentAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken = default);
}
