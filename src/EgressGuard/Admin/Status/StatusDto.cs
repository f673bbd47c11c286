namespace EgressGuard.Admin.Status;

/// <summary>The body of <c>GET /status</c> (<see cref="Memory"/>: managed and native memory in detail). <see cref="OpenFiles"/> is -1 where <c>/proc/self/fd</c> is missing; the history counts and <see cref="RetroHunt"/> are null while history is off.</summary>
internal sealed record StatusDto(
    long PolicyVersion,
    long RulesVersion,
    int OpenConnections,
    int OpenTunnels,
    long RssBytes,
    long ManagedHeapBytes,
    int[] GcCollections,
    int Threads,
    int OpenFiles,
    long DecisionLinesDropped,
    string[] AlertSinksDown,
    long? HistoryRecordsWritten,
    long? HistoryRecordsDropped,
    RetroHuntStatusDto? RetroHunt,
    string? Node,
    object? Store,
    long UptimeSeconds,
    InterceptionStatusDto? Interception,
    MemoryStatusDto Memory);
