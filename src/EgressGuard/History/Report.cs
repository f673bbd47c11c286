using System.Text.Json;
using EgressGuard.Admin;
using EgressGuard.Alerts;
using EgressGuard.Quarantine;

namespace EgressGuard.History;

/// <summary>
/// The security report for a period: blocked attempts by source, destination, feed and rule; top
/// talkers; alerts; quarantines; rule and quarantine changes from the audit log. One JSON value
/// that the admin API returns and the CLI prints as tables or CSV.
/// </summary>
internal sealed class Report
{
    private readonly HistoryService _history;
    private readonly AlertTracker _alerts;
    private readonly IAlertReplica? _shared;
    private readonly QuarantineStore _quarantine;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;

    public Report(HistoryService history, AlertTracker alerts, QuarantineStore quarantine, AuditLog audit, TimeProvider time, IAlertReplica? shared = null)
    {
        _shared = shared;
        _history = history;
        _alerts = alerts;
        _quarantine = quarantine;
        _audit = audit;
        _time = time;
    }

    public async Task<object> BuildAsync(TimeSpan since)
    {
        var to = _time.GetUtcNow();
        var from = to - since;
        var q = _history.Queries;
        object Counts(string column) => q is null ? Array.Empty<object>() : q.BlockedBy(column, from, to).Select(r => new { key = r.Key, count = r.Count }).ToArray();
        var changes = (await _audit.ReadAllAsync(from))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("time", out var t) && DateTimeOffset.TryParse(t.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var time) && time >= from)
            .Select(e => new
            {
                time = e.GetProperty("time").GetString(),
                actor = e.TryGetProperty("actor", out var a) ? a.GetString() : null,
                action = e.TryGetProperty("action", out var act) ? act.GetString() : null,
                subject = e.TryGetProperty("rule", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()
                    : e.TryGetProperty("client.address", out var c) ? c.GetString() : null,
            })
            .ToList();
        return new
        {
            from,
            to,
            history = q is not null,
            blocked = new
            {
                bySource = Counts("client_text"),
                byUser = Counts("user"),
                byDestination = Counts("host"),
                byFeed = Counts("feed"),
                byRule = Counts("rule"),
            },
            topTalkers = q is null ? [] : q.TopTalkers(from, to).Select(t => new { client = t.Client, user = t.User, denies = t.Denies, destinations = t.Destinations, rules = t.Rules, first = t.First, last = t.Last }).ToArray(),
            alerts = await AlertsAsync(from),
            quarantined = _quarantine.Active().Select(QuarantineService.Json).ToArray(),
            changes = changes.Where(c => c.action is not null).ToArray(),
        };
    }

    /// <summary>The fleet's alerts in fleet mode (this node's when the store is away), else this node's.</summary>
    private async Task<object[]> AlertsAsync(DateTimeOffset from)
    {
        if (_shared is not null)
        {
            try
            {
                return [.. await _shared.RecentAsync(from, 10_000).ConfigureAwait(false)];
            }
            catch (Fleet.StoreUnavailableException)
            {
            }
        }

        return _alerts.Recent().Where(a => a.LastSeen >= from).Select(AlertJson.Body).ToArray();
    }
}
