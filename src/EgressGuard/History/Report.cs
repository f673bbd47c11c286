using EgressGuard.Alerts;
using EgressGuard.Audit;
using EgressGuard.Quarantine;

namespace EgressGuard.History;

/// <summary>
/// The security report for a period: blocked attempts by source, destination, feed and rule; top
/// talkers; alerts; quarantines; rule and quarantine changes from the audit log. One JSON value
/// that the admin API returns and the CLI prints as tables or CSV.
/// </summary>
internal sealed class Report(HistoryService history, AlertService alerts, QuarantineStore quarantine, AuditLog audit, TimeProvider time)
{

    public async Task<ReportDto> BuildAsync(TimeSpan since)
    {
        var to = time.GetUtcNow();
        var from = to - since;
        var q = history.Queries;
        CountRow[] Counts(string column) => q is null ? [] : q.BlockedBy(column, from, to).ToArray();
        var changes = (await audit.ReadAllAsync(from))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("time", out var t) && DateTimeOffset.TryParse(t.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var at) && at >= from)
            .Select(e => new ReportChangeDto(
                e.GetProperty("time").GetString(),
                e.TryGetProperty("actor", out var a) ? a.GetString() : null,
                e.TryGetProperty("action", out var act) ? act.GetString() : null,
                e.TryGetProperty("rule", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()
                    : e.TryGetProperty("client.address", out var c) ? c.GetString() : null))
            .Where(c => c.Action is not null)
            .ToArray();
        return new ReportDto(
            from,
            to,
            q is not null,
            new ReportBlockedDto(Counts("client_text"), Counts("user"), Counts("host"), Counts("feed"), Counts("rule")),
            q is null ? [] : q.TopTalkers(from, to).ToArray(),
            [.. await alerts.RecentAsync(from)],
            quarantine.Active().Select(QuarantineEntryDto.From).ToArray(),
            changes);
    }
}
