using EgressGuard.ThreatFeeds;

namespace EgressGuard.Admin.Feeds;

/// <summary>
/// One entry of <c>GET /feeds</c>. <see cref="AgeSeconds"/> counts from the fetch of the data in force;
/// null until it first loads. <see cref="DroppedKnownGood"/>: entries of the data in force's load
/// dropped because they cover a known-good address (<c>Hygiene:DropKnownGood</c>).
/// </summary>
internal sealed record FeedDto(
    string Name,
    string Source,
    string Format,
    string Mode,
    string? Category,
    bool Required,
    bool Loaded,
    int Entries,
    string? Version,
    DateTimeOffset? LoadedAt,
    long? AgeSeconds,
    bool FromCache,
    DateTimeOffset? LastAttempt,
    DateTimeOffset? LastSuccess,
    string? LastError,
    int ConsecutiveFailures,
    string Hygiene,
    int DroppedKnownGood)
{
    public static FeedDto From(FeedState s, DateTimeOffset now) => new(
        s.Name,
        FeedSourceRedactor.Redact(s.Options.Source),
        FeedFormats.Name(s.Format),
        s.Mode.ToString().ToLowerInvariant(),
        s.Options.Category,
        s.Options.Required,
        s.Loaded,
        s.EntryCount,
        s.Version,
        s.LoadedAt,
        s.LoadedAt is { } at ? (long?)(now - at).TotalSeconds : null,
        s.FromCache,
        s.LastAttempt,
        s.LastSuccess,
        s.LastError,
        s.ConsecutiveFailures,
        s.Hygiene.ToString(),
        s.Hygiene.DroppedKnownGood);
}
