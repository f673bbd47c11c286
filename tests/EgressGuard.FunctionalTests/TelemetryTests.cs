using System.Diagnostics;
using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace EgressGuard.FunctionalTests;

/// <summary>Spans, metrics and exports, asserted on what the SDK actually recorded or sent.</summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _echo = new(IPAddress.Loopback);
    private readonly SnapshotCollection<Activity> _spans = new();
    private readonly SnapshotCollection<Metric> _metrics = new();
    private TestUpstream _upstream = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _dns.A("good.test", "127.0.0.1").A("bad.test", "127.0.0.66");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "", services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(b => b.AddInMemoryExporter(_spans));
            services.ConfigureOpenTelemetryMeterProvider(b => b.AddInMemoryExporter(_metrics));
        }, "--Telemetry:Enabled=true", "--Log:AccessLogFile=access.log");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _echo.Dispose();
        _dns.Dispose();
    }

    private void Flush()
    {
        _proxy.Services.GetRequiredService<TracerProvider>().ForceFlush();
        _proxy.Services.GetRequiredService<MeterProvider>().ForceFlush();
    }

    /// <summary>
    /// The server span of one trace, waited for: a tunnel's span ends on its own thread, possibly just
    /// after the decision line the test waited on, and the in-memory exporter adds it then.
    /// </summary>
    private async Task<(Activity Span, IReadOnlyList<Activity> All)> ServerSpanAsync(string traceId)
    {
        for (var i = 0; ; i++)
        {
            Flush();
            var all = _spans.Snapshot();
            var matches = all.Where(s => s.TraceId.ToHexString() == traceId && s.Kind == ActivityKind.Server).ToList();
            if (matches.Count > 0 || i == 100)
            {
                return (Assert.Single(matches), all);
            }

            await Task.Delay(20);
        }
    }

    private async Task<string> TunnelAsync(string target, string? extraHeader = null)
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT {target} HTTP/1.1\r\n{extraHeader}\r\n");
        var head = (await raw.ReadHeadAsync()).Head;
        return head;
    }

    [Fact]
    public async Task Connect_ServerSpanWithChildrenAndSameTraceIdAsLogLine()
    {
        await TunnelAsync($"good.test:{_echo.Port}");
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "good.test");
        var (span, spans) = await ServerSpanAsync(line.Str("trace_id")!);
        Assert.Equal($"CONNECT good.test:{_echo.Port}", span.DisplayName);
        Assert.Equal(default, span.ParentSpanId);
        Assert.Equal("allow", span.GetTagItem("egressguard.decision"));
        Assert.Equal("127.0.0.1", span.GetTagItem("network.peer.address"));
        Assert.Equal("good.test", span.GetTagItem("server.address"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Equal("127.0.0.1", span.GetTagItem("client.address"));
        Assert.Contains(spans, s => s.TraceId == span.TraceId && s.DisplayName == "dns.lookup good.test" && s.ParentSpanId == span.SpanId);
        Assert.Contains(spans, s => s.TraceId == span.TraceId && s.DisplayName.StartsWith("connect 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deny_SpanCarriesReasonAndRule_MetricsCounted()
    {
        Assert.StartsWith("HTTP/1.1 403", await TunnelAsync("bad.test:443"));
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("server.address") == "bad.test");
        var (span, _) = await ServerSpanAsync(line.Str("trace_id")!);
        Assert.Equal("deny", span.GetTagItem("egressguard.decision"));
        Assert.Equal("ip-list", span.GetTagItem("egressguard.reason"));
        Assert.Equal("list:test-bad-ips", span.GetTagItem("egressguard.rule"));
        Assert.Equal(new[] { "127.0.0.66" }, span.GetTagItem("egressguard.resolved_addresses"));

        var metrics = _metrics.Snapshot();
        var decisions = metrics.Where(m => m.Name == "egressguard.decisions").ToList();
        Assert.NotEmpty(decisions);
        var denied = 0L;
        foreach (var metric in decisions)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == "egressguard.reason" && (string?)tag.Value == "ip-list")
                    {
                        denied += point.GetSumLong();
                    }
                }
            }
        }

        Assert.True(denied >= 1);
        Assert.Contains(metrics, m => m.Name == "egressguard.dns.lookup.duration");
        Assert.Contains(metrics, m => m.Name == "egressguard.decision.duration");
    }

    [Fact]
    public async Task ClientTraceparent_IgnoredByDefault_NoTraceHeadersUpstream()
    {
        const string clientTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var client = _proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://good.test:{_upstream.Port}/headers");
        request.Headers.TryAddWithoutValidation("traceparent", clientTrace);
        var headers = await (await client.SendAsync(request)).Content.ReadAsStringAsync();

        // The client's own header passes through untouched; the proxy adds none of its own.
        Assert.Contains($"traceparent: {clientTrace}", headers);
        Assert.DoesNotContain("tracestate", headers);
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/headers");
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", line.Str("trace_id"));
    }

    [Fact]
    public async Task SquidAccessLog_LineShape()
    {
        await TunnelAsync($"good.test:{_echo.Port}");
        Assert.StartsWith("HTTP/1.1 403", await TunnelAsync("bad.test:443"));
        var path = Path.Combine(_proxy.Directory, "access.log");
        string[] lines = [];
        for (var i = 0; i < 100 && lines.Length < 2; i++)
        {
            await Task.Delay(50);
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        }

        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d{10}\.\d{3} +\d+ 127\.0\.0\.1 TCP_DENIED/403 \d+ CONNECT bad\.test:443 - HIER_NONE/- -$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d{10}\.\d{3} +\d+ 127\.0\.0\.1 TCP_TUNNEL/200 \d+ CONNECT good\.test:\d+ - HIER_DIRECT/127\.0\.0\.1 -$"));
    }

    [Fact]
    public async Task SquidAccessLog_UnparsableRequestLine_PrintableWithSpacesAsPercent20()
    {
        // A request line that cannot be parsed is logged as written, made printable ('?') by the head
        // parser; its spaces become %20 (a '+' could not be told from a real one) and the line keeps its ten fields.
        Assert.StartsWith("HTTP/1.1 400", await TunnelAsync("esc\u001b[31m\tred\u00e9.test:443"));
        var path = Path.Combine(_proxy.Directory, "access.log");
        string? line = null;
        for (var i = 0; i < 100 && line is null; i++)
        {
            await Task.Delay(50);
            line = File.Exists(path) ? File.ReadAllLines(path, System.Text.Encoding.Latin1).FirstOrDefault(l => l.Contains("red", StringComparison.Ordinal)) : null;
        }

        Assert.NotNull(line);
        Assert.True(line.Contains("CONNECT%20esc?[31m?red?.test:443%20HTTP/1.1", StringComparison.Ordinal), line);
        Assert.DoesNotContain(line, c => c < ' ' || c > '~');
        Assert.Equal(10, line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("build agent\u001b[2J", false, "build%20agent%1B[2J")]
    [InlineData("zoë\tx+y", false, "zo%C3%AB%09x+y")]
    [InlineData("/caf\u00e9\u007f", true, "/caf%E9%7F")]
    [InlineData("/100%25", true, "/100%25")]
    public void SquidAccessLog_Safe_ControlSpaceAndNonAsciiAsPercentHex(string text, bool bytes, string expected)
    {
        // A user name comes from a certificate subject or the users file: nothing made it printable before.
        Assert.Equal(expected, EgressGuard.Telemetry.SquidAccessLog.Safe(text, bytes));
    }
}

/// <summary>The OTLP http/protobuf exporter against a real loopback HTTP receiver; a client's traceparent honoured when configured.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task OtlpHttpProtobuf_TracesPostedToV1Traces()
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string Path, string? ContentType, long Length)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var collector = builder.Build();
        collector.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path, context.Request.ContentType, body.Length));
            return Results.Ok();
        });
        await collector.StartAsync();

        using var dns = new TestDnsServer();
        dns.A("good.test", "127.0.0.1");
        using var echo = new TcpTestServer(IPAddress.Loopback);
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "", (Action<IServiceCollection>?)null,
            $"--Telemetry:OtlpEndpoint={collector.Urls.First()}", "--Telemetry:OtlpProtocol=http/protobuf", "--Telemetry:TrustClientTraceContext=true");

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT good.test:{echo.Port} HTTP/1.1\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT");
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", line.Str("trace_id"));
        proxy.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000);

        for (var i = 0; i < 100 && !received.Any(r => r.Path == "/v1/traces"); i++)
        {
            await Task.Delay(50);
        }

        // The batch processor may split one trace's spans over several posts; each must be protobuf.
        var traces = received.Where(r => r.Path == "/v1/traces").ToList();
        Assert.NotEmpty(traces);
        Assert.All(traces, t => Assert.Equal("application/x-protobuf", t.ContentType));
        Assert.True(traces.Sum(t => t.Length) > 50);
    }
}
