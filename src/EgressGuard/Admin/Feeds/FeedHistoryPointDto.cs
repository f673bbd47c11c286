namespace EgressGuard.Admin.Feeds;

/// <summary>
/// One point of <c>GET /feeds/{name}/history</c>: a successful load at <see cref="At"/> left
/// <see cref="Entries"/> entries in force; hygiene dropped <see cref="Dropped"/> of that load's.
/// </summary>
internal sealed record FeedHistoryPointDto(DateTimeOffset At, int Entries, int Dropped);
