namespace EgressGuard.Quarantine;

/// <summary>Start-up messages about the persisted quarantine state.</summary>
internal static partial class QuarantineLog
{
    [LoggerMessage(EventId = 952, Level = LogLevel.Error, Message = "Quarantine state unreadable, starting with none: {Error}")]
    public static partial void Unreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 953, Level = LogLevel.Warning, Message = "{Count} source(s) still quarantined from before the restart")]
    public static partial void Restored(ILogger logger, int count);
}
