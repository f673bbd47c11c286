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

    /// <summary>Rotated files kept. Default 5.</summary>
    public int KeepFiles { get; set; } = 5;
}
