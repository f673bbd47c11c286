using System.Runtime.InteropServices;
using EgressGuard.Rules;
using EgressGuard.Telemetry;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Hosting;

/// <summary>
/// SIGHUP: reopen the log files (after logrotate moved them), re-read the rules file and refresh
/// every feed, without a restart and without dropping a connection. SIGTERM is the host's: stop
/// accepting, drain live tunnels up to <c>Proxy:DrainTimeout</c>, flush the logs, exit.
/// </summary>
internal sealed partial class SignalHandlers : IHostedService, IDisposable
{
    private readonly DecisionLog _log;
    private readonly RulesStore _rules;
    private readonly FeedManager _feeds;
    private readonly ILogger<SignalHandlers> _logger;
    private PosixSignalRegistration? _hangup;

    public SignalHandlers(DecisionLog log, RulesStore rules, FeedManager feeds, ILogger<SignalHandlers> logger)
    {
        _log = log;
        _rules = rules;
        _feeds = feeds;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _ = ReloadAsync();
            });
        }

        return Task.CompletedTask;
    }

    public async Task ReloadAsync()
    {
        LogReload(_logger);
        _log.Reopen();
        await _rules.ReloadAsync();
        foreach (var feed in _feeds.States)
        {
            await _feeds.RefreshAsync(feed.Name, CancellationToken.None);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _hangup?.Dispose();

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "SIGHUP: reopening log files, re-reading rules, refreshing feeds")]
    private static partial void LogReload(ILogger logger);
}
