using EgressGuard.Admin;
using EgressGuard.Alerts;
using EgressGuard.Audit;
using EgressGuard.History;
using EgressGuard.Quarantine;

namespace EgressGuard.Hosting;

/// <summary>What investigators and admins use: alerts, quarantine, the history, the admin API.</summary>
internal static class OperationsServices
{
    public static IServiceCollection AddEgressGuardAlerts(this IServiceCollection services, EgressGuardSettings settings)
    {
        var alerts = settings.Alerts;
        services.AddSingleton(alerts);
        services.AddSingleton(sp => new AlertTracker(alerts, sp.GetRequiredService<TimeProvider>()));
        foreach (var webhook in alerts.Webhooks)
        {
            services.AddSingleton<IAlertSink>(sp => new WebhookSink(webhook, sp.GetRequiredService<TimeProvider>()));
        }

        if (!string.IsNullOrEmpty(alerts.Syslog.Address))
        {
            services.AddSingleton<IAlertSink>(new SyslogSink(alerts.Syslog));
        }

        services.AddSingleton<AlertMetrics>();
        services.AddSingleton<AlertDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertDispatcher>());
        services.AddSingleton<AlertService>();
        return services;
    }

    public static IServiceCollection AddEgressGuardQuarantine(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(settings.Quarantine);
        services.AddSingleton(sp => new QuarantineStore(
            Path.Combine(sp.GetRequiredService<ConfigPaths>().Resolve(settings.Data.Directory), "quarantine.json"),
            new Remediation(settings.Quarantine.Remediation),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<QuarantineStartup>();
        services.AddSingleton<QuarantineService>();
        return services;
    }

    public static IServiceCollection AddEgressGuardHistory(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(settings.History);
        services.AddSingleton(settings.Data);
        services.AddSingleton<HistoryMetrics>();
        services.AddSingleton<HistoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<HistoryService>());
        services.AddSingleton<RetroHunt>();
        services.AddSingleton<Report>();
        services.AddHostedService(sp => sp.GetRequiredService<RetroHunt>());
        return services;
    }

    public static IServiceCollection AddEgressGuardAdmin(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(new RecentDecisions(settings.Admin.RecentDecisions));
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            return new AdminTokens(settings.Admin, paths, paths.Resolve(settings.Data.Directory));
        });
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            var file = settings.Admin.AuditFile is { Length: > 0 } f ? paths.Resolve(f) : Path.Combine(paths.Resolve(settings.Data.Directory), "audit.jsonl");
            return new AuditLog(file, sp.GetRequiredService<DecisionLog>(), sp.GetRequiredService<TimeProvider>(), settings.Log.FileMode);
        });
        services.AddSingleton<SignalHandlers>();
        services.AddHostedService(sp => sp.GetRequiredService<SignalHandlers>());
        services.AddSingleton(sp => new AdminHost(sp, settings.AdminEndpoint, sp.GetRequiredService<ILogger<AdminHost>>()));
        services.AddHostedService(sp => sp.GetRequiredService<AdminHost>());
        return services;
    }
}
