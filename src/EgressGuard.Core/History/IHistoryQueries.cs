namespace EgressGuard.History;

/// <summary>The investigation queries, over one node's SQLite history or the fleet's PostgreSQL one.</summary>
internal interface IHistoryQueries
{
    IReadOnlyList<ConnectionRow> Connections(HistoryFilter filter);

    /// <summary>Passive DNS: what a name resolved to (or which names resolved to an address), optionally as of <paramref name="at"/>.</summary>
    IReadOnlyList<ResolutionRow> Resolutions(string nameOrAddress, DateTimeOffset? at = null);

    IReadOnlyList<TalkerRow> TopTalkers(DateTimeOffset from, DateTimeOffset to, int limit = 20);

    /// <summary>Denied attempts to listed destinations grouped by one of client_text, host, rule, feed, user.</summary>
    IReadOnlyList<CountRow> BlockedBy(string column, DateTimeOffset from, DateTimeOffset to, int limit = 20);

    /// <summary>Allowed connections since <paramref name="from"/>: distinct (client, host, address) with first/last time and count; the address as an <see cref="AddressKey"/>.</summary>
    IEnumerable<(string? Client, string? User, string? Host, int Port, byte[] Address, DateTimeOffset First, DateTimeOffset Last, long Count)> AllowedSince(DateTimeOffset from);

    /// <summary>Records a retro-hunt finding; false when it was reported before (never twice).</summary>
    bool MarkReported(string source, string destination, string rule, DateTimeOffset now);
}
