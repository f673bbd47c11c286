using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// The standard <c>OTEL_*</c> variables alone export, as OpenTelemetry documents them, and the
/// <c>Telemetry:Otlp*</c> keys win over them (issue 16, item 12).
/// </summary>
public sealed class OtlpEnvironmentTests
{
    private static readonly string SampleConfig = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../config/egressguard.json"));

    [Fact]
    public async Task Program_SampleConfigAndOtelVariablesOnly_TracesAndMetricsPostedOverHttpProtobuf()
    {
        var received = new ConcurrentQueue<(string Path, string? ContentType)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var collector = builder.Build();
        collector.MapPost("/{**path}", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            received.Enqueue((context.Request.Path, context.Request.ContentType));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Urls.First();

        var port = ForwardingTests.FreeTcpPort();
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "otlp-env-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "EgressGuard.dll"), "--config", SampleConfig, $"--Proxy:Listen=127.0.0.1:{port}", "--Admin:Listen=127.0.0.1:0", $"--Data:Directory={data}" })
        {
            start.ArgumentList.Add(arg);
        }

        // Only the standard variables: no Telemetry:* key is set anywhere (the sample config pins none).
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
        start.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        start.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "100";
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        string Stderr()
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }

        try
        {
            await Eventually.UntilAsync(() => Stderr().Contains("Telemetry: ", StringComparison.Ordinal) || process.HasExited, "the start summary's telemetry line", TimeSpan.FromSeconds(30));
            Assert.Contains($"OTLP http/protobuf {endpoint} (from OTEL_EXPORTER_OTLP_*)", Stderr());

            // One exchange (refused by the non-public guard) makes a span and moves a counter.
            using (var raw = await RawClient.ConnectAsync(port))
            {
                await raw.SendAsync("CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n");
                Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
            }

            await Eventually.UntilAsync(() => received.Any(r => r.Path == "/v1/traces") && received.Any(r => r.Path == "/v1/metrics"), "traces and metrics at the receiver: " + string.Join(",", received.Select(r => r.Path)), TimeSpan.FromSeconds(30));
            Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public static TheoryData<string, string?, string?, string?, string?, string> Cases => new()
    {
        // name,                     key endpoint,        key protocol,    env endpoint,        env protocol,    expected
        { "variables alone",         null,                null,            "http://env:4318",   "http/protobuf", "OTLP http/protobuf http://env:4318 (from OTEL_EXPORTER_OTLP_*)" },
        { "variable, default proto", null,                null,            "http://env:4317",   null,            "OTLP grpc http://env:4317 (from OTEL_EXPORTER_OTLP_*)" },
        { "key endpoint wins",       "http://key:4318",   null,            "http://env:4317",   "http/protobuf", "OTLP http/protobuf http://key:4318 (from Telemetry:Otlp*)" },
        { "key protocol wins",       null,                "grpc",          "http://env:4317",   "http/protobuf", "OTLP grpc http://env:4317 (from Telemetry:Otlp*)" },
        { "empty keys are unset",    "",                  "",              "http://env:4318",   "http/protobuf", "OTLP http/protobuf http://env:4318 (from OTEL_EXPORTER_OTLP_*)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resolve_KeysAndVariables_KeysWinEachFallingBackToItsVariable(string name, string? keyEndpoint, string? keyProtocol, string? envEndpoint, string? envProtocol, string expected)
    {
        var environment = new Dictionary<string, string?> { [OtlpSettings.EndpointVariable] = envEndpoint, [OtlpSettings.ProtocolVariable] = envProtocol };
        var otlp = OtlpSettings.Resolve(new TelemetryOptions { OtlpEndpoint = keyEndpoint, OtlpProtocol = keyProtocol }, v => environment.GetValueOrDefault(v));
        Assert.True(otlp is not null, name);
        Assert.Equal(expected, otlp.ToString());
    }

    [Fact]
    public void Resolve_NoEndpointAnywhere_Null() =>
        Assert.Null(OtlpSettings.Resolve(new TelemetryOptions { OtlpProtocol = "http/protobuf" }, _ => null));
}
