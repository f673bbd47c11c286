using EgressGuard.History;

namespace EgressGuard.Admin.Status;

/// <summary>
/// <c>retroHunt</c> in <c>GET /status</c>: hunts done since start and the last one's counts, so an
/// operator sees that incremental hunts stay small (entries checked, connections evaluated) and
/// when one last ran. <see cref="Last"/> is null before the first hunt.
/// </summary>
internal sealed record RetroHuntStatusDto(int Runs, RetroHuntLastDto? Last)
{
    public static RetroHuntStatusDto From(RetroHunt hunt) =>
        new(hunt.Runs, hunt.Last is { } last ? RetroHuntLastDto.From(last) : null);
}

/// <summary>
/// One hunt: <c>mode</c> <c>full</c> (every entry: the first after start, a rule change, an
/// admin's request) or <c>incremental</c> (only entries new since the last); the policy version
/// hunted; <c>entries</c> checked (for a full hunt, every list, feed and rule entry); <c>connections</c> of the window
/// read; <c>evaluated</c>: those a checked entry covered; <c>raised</c>: new findings.
/// </summary>
internal sealed record RetroHuntLastDto(DateTimeOffset At, string Mode, long PolicyVersion, int Entries, int Connections, int Evaluated, int Raised, double DurationMs)
{
    public static RetroHuntLastDto From(RetroHuntResult r) =>
        new(r.At, r.Full ? "full" : "incremental", r.Version, r.Entries, r.Connections, r.Checked, r.Raised, Math.Round(r.Duration.TotalMilliseconds, 1));
}
