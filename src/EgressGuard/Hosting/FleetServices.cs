using EgressGuard.Fleet;
using EgressGuard.Rules;

namespace EgressGuard.Hosting;

/// <summary>
/// Fleet mode's services. Registered after the single-node ones: where the fleet replaces a
/// component (the rules store on the shared rules' local copy), its registration comes last and wins.
/// Without <c>Store:Postgres</c> only the node's name is registered.
/// </summary>
internal static class FleetServices
{
    public static IServiceCollection AddEgressGuardFleet(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(settings.Node);
        var options = settings.Store;
        services.AddSingleton(options);
        if (!options.Enabled)
        {
            return services;
        }

        services.AddSingleton(sp => new FleetDatabase(
            options.ConnectionString(sp.GetRequiredService<ConfigPaths>()),
            settings.Node.Name,
            options.Timeout,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<FleetDatabase>>()));
        services.AddSingleton<FleetRules>();
        services.AddSingleton(sp => SharedRulesStore(sp, settings));
        services.AddSingleton<IRulesLoader>(sp => new FleetRulesLoader(sp.GetRequiredService<ConfigPaths>().Resolve(settings.Rules.File), sp.GetRequiredService<FleetRules>()));
        services.AddSingleton<IFleetParticipant, FleetRulesSync>();
        if (options.RulesFileOwner)
        {
            services.AddSingleton(sp => new FleetRulesFileImport(settings.Rules, settings.Data, settings.IsKnownFeed, settings.IsKnownParent, sp.GetRequiredService<ConfigPaths>(), sp.GetRequiredService<RulesStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<FleetRulesFileImport>>()));
            services.AddSingleton<IFleetParticipant>(sp => sp.GetRequiredService<FleetRulesFileImport>());
            services.AddHostedService(sp => sp.GetRequiredService<FleetRulesFileImport>());
        }

        services.AddSingleton<FleetQuarantine>();
        services.AddSingleton<EgressGuard.Quarantine.IQuarantineReplica>(sp => sp.GetRequiredService<FleetQuarantine>());
        services.AddSingleton<IFleetParticipant>(sp => sp.GetRequiredService<FleetQuarantine>());
        services.AddSingleton<FleetMetrics>();
        services.AddSingleton<FleetAlerts>();
        services.AddSingleton<EgressGuard.Alerts.IAlertReplica>(sp => sp.GetRequiredService<FleetAlerts>());
        services.AddHostedService(sp => sp.GetRequiredService<FleetAlerts>());
        services.AddSingleton<IFleetParticipant>(sp => sp.GetRequiredService<FleetAlerts>());
        services.AddSingleton<FleetAudit>();
        services.AddSingleton<IFleetParticipant>(sp => sp.GetRequiredService<FleetAudit>());
        services.AddSingleton<FleetHistoryPartitions>();
        services.AddSingleton<FleetHistoryImport>();
        services.AddSingleton<FleetHistory>();
        services.AddSingleton<History.ISharedHistory>(sp => sp.GetRequiredService<FleetHistory>());
        services.AddSingleton<FleetFeedStatus>();
        services.AddSingleton<IFleetParticipant>(sp => sp.GetRequiredService<FleetFeedStatus>());
        services.AddSingleton<FleetSync>();
        services.AddHostedService(sp => sp.GetRequiredService<FleetSync>());
        return services;
    }

    /// <summary>The rules store on the local copy of the fleet's rules, loaded by <see cref="FleetRulesLoader"/> at start.</summary>
    private static RulesStore SharedRulesStore(IServiceProvider sp, EgressGuardSettings settings)
    {
        var data = sp.GetRequiredService<ConfigPaths>().Resolve(settings.Data.Directory);
        return new RulesStore(
            FleetRulesLoader.CopyPath(data),
            Path.Combine(data, "rules-history"),
            settings.Rules.HistoryLimit,
            settings.IsKnownFeed,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.Rules"),
            settings.IsKnownParent);
    }
}
