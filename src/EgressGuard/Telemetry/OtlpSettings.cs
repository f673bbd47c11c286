namespace EgressGuard.Telemetry;

/// <summary>
/// The OTLP export actually used, from <c>Telemetry:OtlpEndpoint</c> / <c>Telemetry:OtlpProtocol</c>
/// when either is set (each falling back to its <c>OTEL_EXPORTER_OTLP_*</c> variable), else from the
/// standard variables alone, which the SDK then reads itself (headers, per-signal endpoints and
/// timeouts included). One answer for the exporter registration and the start summary.
/// </summary>
/// <param name="Protocol"><c>grpc</c> or <c>http/protobuf</c>.</param>
/// <param name="Endpoint">The base endpoint; null when only per-signal endpoints are set.</param>
/// <param name="FromTelemetryKeys">True when a <c>Telemetry:Otlp*</c> key is set: the exporter is configured explicitly.</param>
internal sealed record OtlpSettings(string Protocol, string? Endpoint, bool FromTelemetryKeys)
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>The .NET exporter's documented default protocol.</summary>
    public const string DefaultProtocol = "grpc";

    private static readonly string[] SignalEndpointVariables = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"];

    /// <summary>Null when no OTLP endpoint is configured anywhere.</summary>
    public static OtlpSettings? Resolve(TelemetryOptions telemetry, Func<string, string?> environment)
    {
        string? Read(string name) => environment(name) is { Length: > 0 } value ? value : null;
        var keyEndpoint = string.IsNullOrEmpty(telemetry.OtlpEndpoint) ? null : telemetry.OtlpEndpoint;
        var keyProtocol = string.IsNullOrEmpty(telemetry.OtlpProtocol) ? null : telemetry.OtlpProtocol;
        var endpoint = keyEndpoint ?? Read(EndpointVariable);
        if (endpoint is null && !SignalEndpointVariables.Any(v => Read(v) is not null))
        {
            return null;
        }

        return new OtlpSettings(keyProtocol ?? Read(ProtocolVariable) ?? DefaultProtocol, endpoint, keyEndpoint is not null || keyProtocol is not null);
    }

    /// <summary>The base endpoint the exporter uses when none is given (the SDK's defaults).</summary>
    public string EffectiveEndpoint => Endpoint ?? (Protocol == "http/protobuf" ? "http://localhost:4318" : "http://localhost:4317");

    /// <summary>For the start summary: protocol, endpoint and where they came from.</summary>
    public override string ToString() =>
        $"OTLP {Protocol} {(Endpoint is null && !FromTelemetryKeys ? "per-signal endpoints" : EffectiveEndpoint)} (from {(FromTelemetryKeys ? "Telemetry:Otlp*" : "OTEL_EXPORTER_OTLP_*")})";
}
