namespace EgressGuard.Telemetry;

/// <summary>Configuration section <c>Log</c>.</summary>
internal sealed class LogOptions
{
    public const string Section = "Log";

    /// <summary>File the JSON decision lines are appended to; relative to the config file's folder.
    /// Empty (default): standard output. Program logs go to standard error either way.</summary>
    public string DecisionFile { get; set; } = string.Empty;

    /// <summary>Also write a Squid native-format <c>access.log</c> line per request (for SIEMs that parse Squid).
    /// Relative to the config file's folder. Empty (default): off.</summary>
    public string AccessLogFile { get; set; } = string.Empty;

    /// <summary>Rotate the decision (and access) log when it would grow past this many bytes: file →
    /// file.1 → … Default 0: no rotation (leave it to logrotate and SIGHUP).</summary>
    public long MaxFileBytes { get; set; }

    /// <summary>
    /// The decision, access and audit log files are created 0640 (the group reads them: a log
    /// shipper in the file's group) instead of 0600. They name users, clients and destinations.
    /// Default false.
    /// </summary>
    public bool GroupReadable { get; set; }

    /// <summary>The mode new log files are created with.</summary>
    public UnixFileMode FileMode => GroupReadable ? Files.PrivateFile.GroupReadable : Files.PrivateFile.OwnerOnly;

    /// <summary>Rotated files kept. Default 5.</summary>
    public int KeepFiles { get; set; } = 5;

    /// <summary>Decision lines waiting for the writer at most. Past it, new lines are dropped and
    /// counted (<c>/status</c> <c>decisionLinesDropped</c>, metric <c>egressguard.log.dropped</c>):
    /// a flood or a stalled disk never grows memory without end. Default 100000.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Refusals made before anything is parsed (<c>untrusted-client</c>,
    /// <c>too-many-connections</c>) are logged once per client address and reason per window: the
    /// first at once, then one line per window carrying <c>egressguard.refusals</c>, the count since
    /// the last line. Metrics still count every refusal. Zero: a line per refusal. Default 1 min.</summary>
    public TimeSpan RefusalWindow { get; set; } = TimeSpan.FromMinutes(1);
}
