namespace EgressGuard.Rules;

internal sealed partial class RulesStore
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Rules file {Path} not found: no admin rules (built-in entries only)")]
    private static partial void LogNoFile(ILogger logger, string path);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Rules reloaded from {Path}: v{Version}, {Count} entries")]
    private static partial void LogReloaded(ILogger logger, string path, long version, int count);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Rules file {Path} refused ({Count} error(s)), keeping the last good rules: {Errors}")]
    private static partial void LogReloadRefused(ILogger logger, string path, int count, string errors);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Local copy of the shared rules ({Path}) not written: {Error}")]
    private static partial void LogLocalCopyFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Rules file {Path} deleted: keeping the last good rules")]
    private static partial void LogFileDeleted(ILogger logger, string path);
}
