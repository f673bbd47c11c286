namespace EgressGuard.Telemetry;

/// <summary>Configuration section <c>Telemetry</c>: OpenTelemetry traces, metrics and logs.</summary>
internal sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Force telemetry on or off. Default: on when an exporter is configured (OTLP endpoint or console).</summary>
    public bool? Enabled { get; set; }

    /// <summary>OTLP base endpoint, e.g. <c>http://collector:4318</c>. Unset (default): the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or the per-signal variables). Signal paths are appended for http/protobuf.
    /// Set, it wins over the variable.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>. Unset (default): <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, else grpc
    /// (the .NET exporter's default). Set, it wins over the variable.</summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>Print spans, metrics and logs to the console (debugging). Default false.</summary>
    public bool Console { get; set; }

    /// <summary>service.name; <c>OTEL_SERVICE_NAME</c> wins. Default <c>egressguard</c>.</summary>
    public string ServiceName { get; set; } = "egressguard";

    /// <summary>Honour a client's <c>traceparent</c> as the parent of its span. Default false: clients are untrusted.</summary>
    public bool TrustClientTraceContext { get; set; }

    /// <summary>The OTLP export in force (these keys, else the <c>OTEL_EXPORTER_OTLP_*</c> variables); null when none.</summary>
    public OtlpSettings? Otlp => OtlpSettings.Resolve(this, Environment.GetEnvironmentVariable);

    public bool OtlpConfigured => Otlp is not null;

    /// <summary>
    /// Serve the metrics in the Prometheus text format at <c>/metrics</c> on the admin listener. Default
    /// false. The scrape needs the admin bearer token unless <see cref="PrometheusAnonymous"/>.
    /// </summary>
    public bool Prometheus { get; set; }

    /// <summary>Let <c>/metrics</c> answer without a token (only on an admin listener that only the monitoring network reaches). Default false.</summary>
    public bool PrometheusAnonymous { get; set; }

    public bool IsEnabled => Enabled ?? (OtlpConfigured || Console || Prometheus);
}
