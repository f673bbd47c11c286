namespace EgressGuard.ThreatFeeds;

/// <summary>
/// The last good download of each feed on disk (<c>Data:Directory/feeds/NAME.feed</c> plus
/// <c>NAME.json</c> with its validators and fetch time), written atomically (temp file, flush,
/// rename), so that a restart with the feed server down starts with the last good data.
/// </summary>
internal sealed class FeedCache
{
    private readonly string _directory;

    public FeedCache(string directory) => _directory = directory;

    public async Task SaveAsync(string name, FeedCacheEntry entry, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        await WriteAtomicAsync(Path.Combine(_directory, name + ".feed"), entry.Text, cancellationToken).ConfigureAwait(false);
        var meta = JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["etag"] = entry.ETag,
            ["lastModified"] = entry.LastModified?.ToString("O", CultureInfo.InvariantCulture),
            ["fetchedAt"] = entry.FetchedAt.ToString("O", CultureInfo.InvariantCulture),
        });
        await WriteAtomicAsync(Path.Combine(_directory, name + ".json"), meta, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes every feed's status to <c>feeds/status.json</c> (entries, last success, last attempt,
    /// last error, age), for monitoring that reads files.
    /// </summary>
    public Task WriteStatusAsync(IReadOnlyList<FeedState> states, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        var status = states.Select(s => new Dictionary<string, object?>
        {
            ["name"] = s.Name,
            ["source"] = FeedSourceRedactor.Redact(s.Options.Source),
            ["format"] = FeedFormats.Name(s.Format),
            ["mode"] = s.Mode.ToString().ToLowerInvariant(),
            ["loaded"] = s.Loaded,
            ["entries"] = s.EntryCount,
            ["version"] = s.Version,
            ["loadedAt"] = s.LoadedAt,
            ["ageSeconds"] = s.LoadedAt is { } at ? (long)(now - at).TotalSeconds : null,
            ["fromCache"] = s.FromCache,
            ["lastAttempt"] = s.LastAttempt,
            ["lastSuccess"] = s.LastSuccess,
            ["lastError"] = s.LastError,
            ["consecutiveFailures"] = s.ConsecutiveFailures,
            ["unreadableLines"] = s.Invalid,
            ["hygiene"] = s.Hygiene.ToString(),
        });
        return WriteAtomicAsync(Path.Combine(_directory, "status.json"), JsonSerializer.Serialize(status, StatusJson), cancellationToken);
    }

    private static readonly JsonSerializerOptions StatusJson = new() { WriteIndented = true };

    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web);

    /// <summary>Writes every feed's entry-count series to <c>feeds/history.json</c>, so the chart survives a restart.</summary>
    public Task WriteHistoryAsync(Dictionary<string, FeedHistoryPoint[]> history, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        return WriteAtomicAsync(Path.Combine(_directory, "history.json"), JsonSerializer.Serialize(history, HistoryJson), cancellationToken);
    }

    /// <summary>The saved series; empty when there is none or it cannot be read (a lost chart is not worth refusing to start).</summary>
    public Dictionary<string, FeedHistoryPoint[]> LoadHistory()
    {
        try
        {
            var path = Path.Combine(_directory, "history.json");
            return File.Exists(path)
                ? JsonSerializer.Deserialize<Dictionary<string, FeedHistoryPoint[]>>(File.ReadAllText(path), HistoryJson) ?? []
                : [];
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public FeedCacheEntry? TryLoad(string name)
    {
        var feedPath = Path.Combine(_directory, name + ".feed");
        var metaPath = Path.Combine(_directory, name + ".json");
        if (!File.Exists(feedPath) || !File.Exists(metaPath))
        {
            return null;
        }

        try
        {
            var meta = JsonSerializer.Deserialize<Dictionary<string, string?>>(File.ReadAllText(metaPath)) ?? [];
            return new FeedCacheEntry(
                File.ReadAllText(feedPath),
                meta.GetValueOrDefault("etag"),
                Parse(meta.GetValueOrDefault("lastModified")),
                Parse(meta.GetValueOrDefault("fetchedAt")) ?? File.GetLastWriteTimeUtc(feedPath));
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    private static DateTimeOffset? Parse(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value) ? value : null;

    private static async Task WriteAtomicAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
