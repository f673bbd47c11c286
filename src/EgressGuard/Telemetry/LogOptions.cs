namespace EgressGuard.Telemetry;

/// <summary>Configuration section <c>Log</c>.</summary>
internal sealed class LogOptions
{
    public const string Section = "Log";

    /// <summary>File the JSON decision lines are appended to; relative to the config file's folder.
    /// Empty (default): standard output. Program logs go to standard error either way.</summary>
    public string DecisionFile { get; set; } = string.Empty;
}
