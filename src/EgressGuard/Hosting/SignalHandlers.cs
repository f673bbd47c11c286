using System.Runtime.InteropServices;
using EgressGuard.Rules;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Hosting;

/// <summary>
/// SIGHUP: reopen the log files (after logrotate moved them), re-read the configuration file (the
/// admin lists and guard settings take effect at once; a change anywhere else is named in the log
/// as needing a restart), re-read the rules file and refresh every feed — without a restart and
/// without dropping a connection. An invalid configuration is logged with every error and ignored:
/// the last good one stays in force. SIGTERM is the host's: stop accepting, drain live tunnels up
/// to <c>Proxy:DrainTimeout</c>, flush the logs, exit.
/// </summary>
internal sealed partial class SignalHandlers(
    DecisionLog log,
    RulesStore rules,
    FeedManager feeds,
    ConfigurationReader configuration,
    ConfigPaths paths,
    EgressGuardSettings started,
    PolicyRecomposer recomposer,
    ILogger<SignalHandlers> logger) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private PosixSignalRegistration? _hangup;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _ = ReloadSafelyAsync();
            });
        }

        return Task.CompletedTask;
    }

    private async Task ReloadSafelyAsync()
    {
        try
        {
            await ReloadAsync();
        }
        catch (Exception ex)
        {
            // A signal handler has nobody to report to but the log.
            LogReloadFailed(logger, ex.Message);
        }
    }

    /// <summary>What SIGHUP does; returns whether the configuration file was accepted.</summary>
    public async Task<bool> ReloadAsync()
    {
        // Two quick SIGHUPs must not interleave two reloads.
        await _oneAtATime.WaitAsync();
        try
        {
            LogReload(logger);
            log.Reopen();
            var accepted = ReloadConfiguration();
            await rules.ReloadAsync();
            foreach (var feed in feeds.States)
            {
                await feeds.RefreshAsync(feed.Name, CancellationToken.None);
            }

            return accepted;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private bool ReloadConfiguration()
    {
        EgressGuardSettings fresh;
        try
        {
            fresh = EgressGuardSettings.Load(configuration.Read(), paths);
        }
        catch (Exception ex) when (ex is ConfigurationErrorsException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var errors = ex is ConfigurationErrorsException config ? config.Errors : [ex.InnerException?.InnerException?.Message ?? ex.Message];
            LogConfigRejected(logger, paths.ConfigFile ?? "(no file)", errors.Count, string.Join(" | ", errors));
            return false;
        }

        var snapshot = recomposer.SetAdmin(fresh.Policy.Admin!);
        LogConfigApplied(logger, snapshot.Version, snapshot.BadIps.EntryCount, snapshot.BadDomains.Count);
        var restart = RestartNeeded(started, fresh);
        if (restart.Count > 0)
        {
            LogRestartNeeded(logger, string.Join(", ", restart));
        }

        return true;
    }

    /// <summary>Sections that changed but are only read at start (listeners, DNS client, exporters...).</summary>
    internal static List<string> RestartNeeded(EgressGuardSettings running, EgressGuardSettings fresh)
    {
        var changed = new List<string>();
        Compare("Proxy", running.Proxy, fresh.Proxy);
        Compare("Dns", running.Dns, fresh.Dns);
        Compare("Log", running.Log, fresh.Log);
        Compare("Data", running.Data, fresh.Data);
        Compare("Feeds", running.Feeds, fresh.Feeds);
        Compare("Hygiene", running.Hygiene, fresh.Hygiene);
        Compare("Rules", running.Rules, fresh.Rules);
        Compare("Admin", running.Admin, fresh.Admin);
        Compare("Auth", running.Auth, fresh.Auth);
        Compare("Telemetry", running.Telemetry, fresh.Telemetry);
        Compare("BlockPage", running.BlockPage, fresh.BlockPage);
        Compare("Pac", running.Pac, fresh.Pac);
        Compare("Alerts", running.Alerts, fresh.Alerts);
        Compare("Quarantine", running.Quarantine, fresh.Quarantine);
        Compare("History", running.History, fresh.History);
        Compare("Tls", running.Tls, fresh.Tls);
        return changed;

        void Compare<T>(string section, T before, T after)
        {
            if (JsonSerializer.Serialize(before) != JsonSerializer.Serialize(after))
            {
                changed.Add(section);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _hangup?.Dispose();
        _oneAtATime.Dispose();
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "SIGHUP: reopening log files, re-reading configuration and rules, refreshing feeds")]
    private static partial void LogReload(ILogger logger);

    [LoggerMessage(EventId = 704, Level = LogLevel.Error, Message = "SIGHUP reload failed: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Configuration re-read: lists and guard in force as policy v{Version} ({IpEntries} bad-IP entries, {DomainEntries} bad-domain entries)")]
    private static partial void LogConfigApplied(ILogger logger, long version, int ipEntries, int domainEntries);

    [LoggerMessage(EventId = 702, Level = LogLevel.Error, Message = "Configuration {File} NOT applied ({Count} error(s)); the last good configuration stays in force: {Errors}")]
    private static partial void LogConfigRejected(ILogger logger, string file, int count, string errors);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "Configuration changed in {Sections}: these settings are read at start only and take effect after a restart")]
    private static partial void LogRestartNeeded(ILogger logger, string sections);
}
