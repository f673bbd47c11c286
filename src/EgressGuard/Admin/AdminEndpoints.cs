using EgressGuard.Admin.Alerts;
using EgressGuard.Admin.Decisions;
using EgressGuard.Admin.Explain;
using EgressGuard.Admin.Feeds;
using EgressGuard.Admin.Health;
using EgressGuard.Admin.History;
using EgressGuard.Admin.Quarantine;
using EgressGuard.Admin.Rules;
using EgressGuard.Admin.Status;
using EgressGuard.Telemetry;

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
            catch (Fleet.StoreUnavailableException ex) when (!context.Response.HasStarted)
            {
                // Fleet mode: a query of the shared history (or any store read) while the store is away.
                await AdminProblems.StoreUnavailable($"the shared store is unavailable: {ex.Message}").ExecuteAsync(context);
            }
        });
        if (telemetry.Prometheus && !telemetry.PrometheusAnonymous)
        {
            MapPrometheus(app, services);
        }

        HealthEndpoints.Map(app, services);
        RulesEndpoints.Map(app, services);
        ExplainEndpoints.Map(app, services);
        StatusEndpoints.Map(app, services);
        AlertsEndpoints.Map(app, services);
        QuarantineEndpoints.Map(app, services);
        HistoryEndpoints.Map(app, services);
        FeedsEndpoints.Map(app, services);
        DecisionsEndpoints.Map(app, services);
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
