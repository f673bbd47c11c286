namespace EgressGuard.History;

/// <summary>
/// Configuration section <c>History</c>: the investigation history — every decision and DNS answer
/// in an embedded SQLite database (<c>Data:Directory/history.db</c>), written off the request path.
/// </summary>
internal sealed class HistoryOptions
{
    public const string Section = "History";

    /// <summary>Keep the history (needed for queries, retro-hunt and reports). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Database file; relative to <c>Data:Directory</c>. Default <c>history.db</c>.</summary>
    public string File { get; set; } = "history.db";

    /// <summary>Rows older than this are deleted. Default 30 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Past this size the oldest rows are deleted first. Default 2 GiB.</summary>
    public long MaxBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Records waiting for the writer; beyond it new ones are dropped and counted (never blocking a request). Default 100,000.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Longest wait before queued records are written (one transaction per batch). Default 1 s.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How far back a retro-hunt looks for allowed connections to a newly listed destination. Default 7 days.</summary>
    public TimeSpan RetroHuntWindow { get; set; } = TimeSpan.FromDays(7);
}
