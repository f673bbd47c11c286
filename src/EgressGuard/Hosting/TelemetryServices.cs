using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EgressGuard.Hosting;

/// <summary>Telemetry: metrics, spans, OpenTelemetry exporters and the decision log.</summary>
internal static class TelemetryServices
{
    public static IServiceCollection AddEgressGuardTelemetry(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(settings.Telemetry);
        services.AddSingleton<EgressGuardMetrics>();
        services.AddSingleton<ProxyTelemetry>();
        services.AddSingleton<DecisionLog>();
        services.AddHostedService(sp => sp.GetRequiredService<DecisionLog>());
        var telemetry = settings.Telemetry;
        if (!telemetry.IsEnabled)
        {
            // No listener on the ActivitySource: no span is even created on the request path.
            return services;
        }

        var serviceName = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") is { Length: > 0 } fromEnv ? fromEnv : telemetry.ServiceName;
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: typeof(EgressGuardHost).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing.AddSource(EgressGuardTelemetry.Name);
                if (telemetry.Console)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(EgressGuardTelemetry.Name);
                if (telemetry.Console)
                {
                    metrics.AddConsoleExporter();
                }

                if (telemetry.Prometheus)
                {
                    // Scraped at /metrics on the admin listener (AdminEndpoints), never on the proxy port.
                    metrics.AddPrometheusExporter();
                }
            })
            .WithLogging(logging =>
            {
                if (telemetry.Console)
                {
                    logging.AddConsoleExporter();
                }
            });
        if (telemetry.Otlp is { } otlp)
        {
            if (otlp.FromTelemetryKeys)
            {
                // Explicit keys win over the variables; /v1/traces, /v1/metrics, /v1/logs are appended for http/protobuf.
                var protocol = otlp.Protocol == "http/protobuf" ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
                otel.UseOtlpExporter(protocol, new Uri(otlp.EffectiveEndpoint));
            }
            else
            {
                // The variables alone: the SDK reads every OTEL_EXPORTER_OTLP_* itself (OtelEnvironment feeds them in).
                otel.UseOtlpExporter();
            }
        }

        return services;
    }
}
