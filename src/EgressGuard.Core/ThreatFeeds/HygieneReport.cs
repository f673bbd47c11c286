namespace EgressGuard.ThreatFeeds;

/// <summary>What hygiene did to one load, for the feed's status and log.</summary>
/// <param name="KnownGood">Entries covering a known-good address.</param>
/// <param name="DroppedKnownGood">Of those, how many were dropped (all of them under <c>Hygiene:DropKnownGood</c>, else none).</param>
internal sealed record HygieneReport(int NonPublic, int Excluded, int TooWide, int Trimmed, int KnownGood, IReadOnlyList<string> KnownGoodSamples, int DroppedKnownGood = 0)
{
    public static HygieneReport None { get; } = new(0, 0, 0, 0, 0, []);

    public int Dropped => NonPublic + Excluded + TooWide + DroppedKnownGood;

    public override string ToString() =>
        $"dropped {NonPublic} non-public, {Excluded} excluded, {TooWide} too wide; trimmed {Trimmed}; {KnownGood} cover known-good addresses ({DroppedKnownGood} dropped)";
}
