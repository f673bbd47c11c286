namespace EgressGuard.Hosting;

/// <summary>
/// The composition root's table of contents: one line per feature. Hosted services start in
/// this order, before the listener opens: the quarantine and the rules are restored, the tunnel
/// enforcer subscribes, the feeds compose the first policy; then the admin listener, the decision
/// log, alert delivery and the history.
/// </summary>
internal static class ServiceRegistration
{
    public static IServiceCollection AddEgressGuard(this IServiceCollection services, EgressGuardSettings settings, ConfigPaths paths)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(paths);
        services.AddSingleton(settings);
        services.AddSingleton(Options.Create(settings.Log));
        return services
            .AddEgressGuardQuarantine(settings)
            .AddEgressGuardPolicy(settings)
            .AddEgressGuardRules(settings)
            .AddEgressGuardTunnels(settings)
            .AddEgressGuardFeeds(settings)
            .AddEgressGuardAdmin(settings)
            .AddEgressGuardTelemetry(settings)
            .AddEgressGuardIdentity(settings)
            .AddEgressGuardDialing(settings, paths)
            .AddEgressGuardInterception(settings)
            .AddEgressGuardExchange()
            .AddEgressGuardConnect(settings)
            .AddEgressGuardForwarding(settings)
            .AddEgressGuardClients(settings)
            .AddEgressGuardAlerts(settings)
            .AddEgressGuardHistory(settings)

            // Fleet mode (Store:Postgres): last, so that its replacements win. Node:Name in any mode.
            .AddEgressGuardFleet(settings);
    }
}
