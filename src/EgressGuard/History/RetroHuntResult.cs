namespace EgressGuard.History;

/// <summary>
/// What one retro-hunt did: <see cref="Full"/> when every entry of the policy was checked (the
/// first hunt after start, a rule change, an admin's request), else only the entries new since
/// the last hunt (<see cref="Entries"/> of them); the connections of the window read, those a
/// checked entry covered and so evaluated, and the findings raised (new ones only).
/// </summary>
internal sealed record RetroHuntResult(long Version, bool Full, int Entries, int Connections, int Checked, int Raised)
{
    /// <summary>When the hunt finished.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>How long it took, history reads included.</summary>
    public TimeSpan Duration { get; init; }
}
