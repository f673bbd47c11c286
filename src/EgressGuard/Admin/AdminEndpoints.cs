using EgressGuard.Admin.Alerts;
using EgressGuard.Admin.Decisions;
using EgressGuard.Admin.Explain;
using EgressGuard.Admin.Feeds;
using EgressGuard.Admin.Health;
using EgressGuard.Admin.History;
using EgressGuard.Admin.Quarantine;
using EgressGuard.Admin.Rules;
using EgressGuard.Admin.Status;
using EgressGuard.Alerts;
using EgressGuard.Audit;
using EgressGuard.History;
using EgressGuard.Interception;
using EgressGuard.Proxy;
using EgressGuard.Quarantine;
using EgressGuard.Rules;
using EgressGuard.Storage;
using EgressGuard.ThreatFeeds;
using EgressGuard.Tunnels;

namespace EgressGuard.Admin;

/// <summary>
/// The admin API. <c>/healthz</c>, <c>/readyz</c> and the PAC file answer without a token; everything else needs
/// <c>Authorization: Bearer TOKEN</c>. JSON in and out; errors are <c>application/problem+json</c>. One
/// <c>*Endpoints</c> class per resource, each with its response records beside it; they serialize with the
/// host's web defaults (camelCase), so a record property <c>RssBytes</c> is the wire name <c>rssBytes</c>.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(WebApplication app, IServiceProvider services)
    {
        // Anonymous scraping is mapped before the token check, authenticated scraping after it.
        var telemetry = services.GetRequiredService<TelemetryOptions>();
        if (telemetry.Prometheus && telemetry.PrometheusAnonymous)
        {
            MapPrometheus(app, services);
        }

        AdminAuthentication.Use(app, services);
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (StoreUnavailableException ex) when (!context.Response.HasStarted)
            {
                // Fleet mode: a query of the shared history (or any store read) while the store is away.
                await AdminProblems.StoreUnavailable($"the shared store is unavailable: {ex.Message}").ExecuteAsync(context);
            }
        });
        if (telemetry.Prometheus && !telemetry.PrometheusAnonymous)
        {
            MapPrometheus(app, services);
        }

        var fleetStatus = new Fleet.FleetStatus(services);
        HealthEndpoints.Map(app, services.GetRequiredService<IPolicySource>(), fleetStatus, services.GetService<Fleet.FleetFeedStatus>());
        RulesEndpoints.Map(app, services.GetRequiredService<RulesStore>(), services.GetRequiredService<AuditLog>(), services.GetRequiredService<TimeProvider>());
        ExplainEndpoints.Map(app, services.GetRequiredService<EgressPolicy>(), services.GetRequiredService<IPolicySource>(), services.GetRequiredService<InterceptionStep>(), services.GetRequiredService<TimeProvider>());
        StatusEndpoints.Map(app, services.GetRequiredService<IPolicySource>(), services.GetRequiredService<TunnelRegistry>(), services.GetRequiredService<ConnectionLimiter>(), services.GetRequiredService<DecisionLog>(), services.GetRequiredService<TimeProvider>(), fleetStatus, services);
        AlertsEndpoints.Map(app, services.GetRequiredService<AlertDispatcher>(), services.GetRequiredService<AlertService>());
        QuarantineEndpoints.Map(app, services.GetRequiredService<QuarantineService>());
        HistoryEndpoints.Map(app, services.GetRequiredService<HistoryService>(), services.GetRequiredService<Report>(), services.GetRequiredService<TimeProvider>(), services);
        FeedsEndpoints.Map(app, services.GetRequiredService<FeedManager>(), services.GetRequiredService<TimeProvider>());
        DecisionsEndpoints.Map(app, services.GetRequiredService<RecentDecisions>());
    }

    /// <summary>The OpenTelemetry Prometheus exporter of the proxy's own meter provider, at <c>/metrics</c>.</summary>
    private static void MapPrometheus(WebApplication app, IServiceProvider services) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            services.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>(),
            context => context.Request.Path == "/metrics",
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
}
