namespace EgressGuard.History;

/// <summary><see cref="ReportDto.Blocked"/>: denied requests counted by source, user, destination, feed and rule (the history's own rows); empty while history is off.</summary>
internal sealed record ReportBlockedDto(CountRow[] BySource, CountRow[] ByUser, CountRow[] ByDestination, CountRow[] ByFeed, CountRow[] ByRule);
