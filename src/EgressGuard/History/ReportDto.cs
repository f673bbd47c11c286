using EgressGuard.Alerts;
using EgressGuard.Quarantine;

namespace EgressGuard.History;

/// <summary>The body of <c>GET /report</c>: one period's blocked attempts, top talkers, alerts, quarantines and changes.</summary>
internal sealed record ReportDto(
    DateTimeOffset From,
    DateTimeOffset To,
    bool History,
    ReportBlockedDto Blocked,
    TalkerRow[] TopTalkers,
    AlertDto[] Alerts,
    QuarantineEntryDto[] Quarantined,
    ReportChangeDto[] Changes);
