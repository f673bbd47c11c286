namespace EgressGuard.ThreatFeeds;

/// <summary>Configuration section <c>Hygiene</c>: what feed hygiene removes, for every feed with <c>Hygiene: true</c>.</summary>
internal sealed class HygieneOptions
{
    public const string Section = "Hygiene";

    /// <summary>Widest IPv4 feed entry accepted (prefix length). Default 8: a /7 or wider is dropped.</summary>
    public int MaxPrefixV4 { get; set; } = 8;

    /// <summary>Widest IPv6 feed entry accepted. Default 32.</summary>
    public int MaxPrefixV6 { get; set; } = 32;

    /// <summary>The company's own ranges: never enforced from a feed (Guard:Exempt is added). Default none.</summary>
    public List<string> Exclude { get; set; } = [];

    /// <summary>The known-good file's default name, resolved against the config folder, else the copy shipped with the program.</summary>
    public const string DefaultKnownGoodFile = "known-good.txt";

    /// <summary>
    /// Known-good addresses (public resolvers…): one address or CIDR per line, <c>#</c> comments
    /// (the shipped file names each entry's source). Relative to the config file's folder; the
    /// default falls back to the copy shipped beside the program. Empty: no file. Default
    /// <c>known-good.txt</c>. Validated at start (line numbers).
    /// </summary>
    public string KnownGoodFile { get; set; } = DefaultKnownGoodFile;

    /// <summary>More known-good addresses, added to the file's. Default none.</summary>
    public List<string> KnownGood { get; set; } = [];

    /// <summary>More known-good files (same format), added to <see cref="KnownGoodFile"/>. Default none.</summary>
    public List<string> KnownGoodFiles { get; set; } = [];

    /// <summary>
    /// Drop a threat-feed entry that covers a known-good address (a tampered or mistaken feed must
    /// not take down services everybody uses); it is warned and counted either way. False keeps the
    /// entry (warning only). Applies to every feed, whatever its own <c>Hygiene</c> switch; admin
    /// lists and rules are never filtered. Default true.
    /// </summary>
    public bool DropKnownGood { get; set; } = true;
}
