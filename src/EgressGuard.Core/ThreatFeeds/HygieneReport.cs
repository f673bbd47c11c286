namespace EgressGuard.ThreatFeeds;

/// <summary>What hygiene did to one load, for the feed's status and log.</summary>
internal sealed record HygieneReport(int NonPublic, int Excluded, int TooWide, int Trimmed, int KnownGood, IReadOnlyList<string> KnownGoodSamples)
{
    public static HygieneReport None { get; } = new(0, 0, 0, 0, 0, []);

    public int Dropped => NonPublic + Excluded + TooWide;

    public override string ToString() =>
        $"dropped {NonPublic} non-public, {Excluded} excluded, {TooWide} too wide; trimmed {Trimmed}; {KnownGood} cover known-good addresses";
}
