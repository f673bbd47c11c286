namespace EgressGuard.Quarantine;

/// <summary>Restores the quarantine saved by the last run before the listener opens (an unreadable file is set aside and said so, never lost).</summary>
internal sealed class QuarantineStartup : IHostedService
{
    private readonly QuarantineStore _store;
    private readonly ILogger _logger;

    public QuarantineStartup(QuarantineStore store, ILoggerFactory loggers)
    {
        _store = store;
        _logger = loggers.CreateLogger("EgressGuard.Quarantine");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var (restored, error) = _store.Load();
        if (error is not null)
        {
            QuarantineLog.Unreadable(_logger, error);
        }
        else if (restored > 0)
        {
            QuarantineLog.Restored(_logger, restored);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
