using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace EgressGuard.FunctionalTests;

/// <summary>Alerts end to end: real denies through the proxy, a real webhook receiver, real syslog listeners.</summary>
public sealed class AlertTests : IAsyncLifetime
{
    private const string Secret = "webhook-secret-42";
    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-alerts", Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<(string Body, string? Signature, string? Timestamp, string? Delivery)> _received = new();
    private readonly UdpClient _syslogUdp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly TcpListener _syslogTcp = new(IPAddress.Loopback, 0);
    private readonly SnapshotCollection<Activity> _spans = new();
    private WebApplication _receiver = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n127.0.0.78\n");
        File.WriteAllText(Path.Combine(_dir, "rules.json"), """{"rules":[{"id":"no-pastebin","action":"deny","destinations":["paste.test"],"alert":true},{"id":"plain-deny","action":"deny","destinations":["quiet.test"]}]}""");
        _dns.A("c2.test", "127.0.0.77").A("beacon.test", "127.0.0.78").A("paste.test", "127.0.0.1").A("quiet.test", "127.0.0.1").A("listed.test", "127.0.0.66");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _receiver = builder.Build();
        _receiver.MapPost("/hook", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            _received.Enqueue((body, c.Request.Headers["X-EgressGuard-Signature"], c.Request.Headers["X-EgressGuard-Timestamp"], c.Request.Headers["X-EgressGuard-Delivery"]));
            return Results.NoContent();
        });
        await _receiver.StartAsync();
        _syslogTcp.Start();

        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "", services =>
            services.ConfigureOpenTelemetryTracerProvider(b => b.AddInMemoryExporter(_spans)),
        [
            "--Telemetry:Enabled=true",
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Path.Combine(_dir, "c2.txt")}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            $"--Rules:File={Path.Combine(_dir, "rules.json")}",
            $"--Alerts:Webhooks:0:Url={_receiver.Urls.First()}/hook", $"--Alerts:Webhooks:0:Secret={Secret}",
            $"--Alerts:Syslog:Address=udp://127.0.0.1:{((IPEndPoint)_syslogUdp.Client.LocalEndPoint!).Port}",
        ]);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _receiver.DisposeAsync();
        _syslogUdp.Dispose();
        _syslogTcp.Stop();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<HttpStatusCode> GetAsync(string url)
    {
        using var client = _proxy.CreateClient();
        return (await client.GetAsync(url)).StatusCode;
    }

    private async Task<JsonElement[]> AlertsAsync(string query = "")
    {
        using var admin = _proxy.CreateAdminClient();
        return JsonSerializer.Deserialize<JsonElement[]>(await admin.GetStringAsync("/alerts" + query))!;
    }

    [Fact]
    public async Task FeedDeny_Beaconing_OneAlertCountedLoggedSignedWebhookOnce()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://c2.test/gate.php"));
        }

        var alerts = await AlertsAsync("?destination=c2.test");
        var alert = Assert.Single(alerts);
        Assert.Equal(3, alert.GetProperty("count").GetInt32());
        Assert.Equal("threat-feed", alert.GetProperty("kind").GetString());
        Assert.Equal("127.0.0.1", alert.GetProperty("source").GetProperty("address").GetString());
        Assert.Equal("feed:feodo", alert.GetProperty("rule").GetString());
        Assert.Equal("c2", alert.GetProperty("category").GetString());
        Assert.Equal("127.0.0.77", alert.GetProperty("destination").GetProperty("addresses")[0].GetString());

        // The decision log has the alert as its own event, once, with the first attempt's trace id.
        var id = alert.GetProperty("id").GetString()!;
        var logged = await _proxy.WaitForDecisionAsync(l => l.Str("event") == "alert" && l.Str("egressguard.alert.id") == id);
        var first = await _proxy.WaitForDecisionAsync(l => l.Str("server.address") == "c2.test");
        Assert.Equal(first.Str("trace_id"), logged.Str("trace_id"));
        Assert.Equal("127.0.0.1", logged.Str("client.address"));

        // Posted once (repeats within the window are not re-posted), signed over timestamp.body.
        var post = await Eventually.ValueAsync(() => _received.FirstOrDefault(r => r.Delivery == id) is { Body: not null } r ? Tuple.Create(r) : null, "webhook post");
        var (body, signature, timestamp, _) = post.Item1;
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
        Assert.Equal(expected, signature);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("egressguard.alert", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("c2.test", json.RootElement.GetProperty("destination").GetProperty("name").GetString());
        // One worker delivers a sink's alerts in order: once a later alert has arrived, any repeat
        // post of this one (all three denies came before it) would have arrived too.
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://paste.test/after"));
        await Eventually.UntilAsync(() => _received.Any(r => r.Body.Contains("\"paste.test\"", StringComparison.Ordinal)), "the later alert's webhook post");
        Assert.Single(_received, r => r.Delivery == id);

        // The span of the first attempt carries the alert event.
        var trace = first.Str("trace_id");
        var span = await Eventually.ValueAsync(() => _spans.Snapshot().FirstOrDefault(s => s.TraceId.ToHexString() == trace && s.Kind == ActivityKind.Server), "server span");
        Assert.Contains(span.Events, e => e.Name == "egressguard.alert" && (string?)e.Tags.First(t => t.Key == "egressguard.alert.id").Value == id);
    }

    [Fact]
    public async Task FeedDeny_Syslog_Rfc5424DatagramWithSourceAndDestination()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://beacon.test/"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        string message;
        do
        {
            var datagram = await _syslogUdp.ReceiveAsync(timeout.Token);
            message = Encoding.UTF8.GetString(datagram.Buffer);
        }
        while (!message.Contains("dst=\"beacon.test\"", StringComparison.Ordinal));

        Assert.Matches(@"^<132>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ egressguard \d+ alert \[egressguard@32473 id=""a-\d{8}-[0-9a-f]{8}"" kind=""threat-feed"" src=""127\.0\.0\.1"" dst=""beacon\.test"" dstPort=""80"" dstAddresses=""127\.0\.0\.78"" rule=""feed:feodo"" entry=""127\.0\.0\.78"" feed=""feodo"" category=""c2"" count=""1""", message);
        Assert.EndsWith("EgressGuard alert: 127.0.0.1 tried beacon.test:80 [127.0.0.78], blocked by feed:feodo (entry 127.0.0.78), category c2", message);
    }

    [Fact]
    public async Task RuleMarkedAlert_RaisesRuleAlert_PlainDenyAndListDenyDoNot()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://paste.test/raw/x"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://quiet.test/"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://listed.test/"));

        var alert = Assert.Single(await AlertsAsync("?destination=paste.test"));
        Assert.Equal("rule", alert.GetProperty("kind").GetString());
        Assert.Equal("rule:no-pastebin", alert.GetProperty("rule").GetString());
        Assert.Empty(await AlertsAsync("?destination=quiet.test"));
        Assert.Empty(await AlertsAsync("?destination=listed.test"));
    }
}

/// <summary>Delivery faults: a webhook that is down, then up; syslog over TCP; bad settings.</summary>
public sealed class AlertDeliveryTests
{
    [Fact]
    public async Task Webhook_DownThenUp_DeliveredAfterRetry_RequestNotDelayed()
    {
        var attempts = 0;
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Increment(ref attempts) <= 2)
            {
                // A slow, failing receiver: it answers only once the denies have been answered, so
                // a proxy that waited for it would hold them for the whole bound below.
                try
                {
                    await answered.Task.WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                }

                return Results.StatusCode(503);
            }

            delivered.TrySetResult(body);
            return Results.Ok();
        });
        await receiver.StartAsync();

        using var dns = new TestDnsServer();
        dns.A("c2.test", "127.0.0.77");
        var feed = Path.Combine(Path.GetTempPath(), $"egressguard-c2-{Guid.NewGuid():N}.txt");
        File.WriteAllText(feed, "127.0.0.77\n");
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "",
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={feed}", "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false",
            $"--Alerts:Webhooks:0:Url={receiver.Urls.First()}/hook");

        using var client = proxy.CreateClient();
        var started = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://c2.test/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://c2.test/again")).StatusCode);
        var answeredAfter = started.Elapsed;
        answered.TrySetResult();

        var body = await delivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("\"name\":\"c2.test\"", body);
        Assert.True(answeredAfter < TimeSpan.FromSeconds(2), $"the denies waited for the webhook: {answeredAfter}");
        Assert.Equal(3, Volatile.Read(ref attempts));

        using var admin = proxy.CreateAdminClient();
        var sinks = JsonDocument.Parse(await admin.GetStringAsync("/alerts/sinks")).RootElement;
        var sink = Assert.Single(sinks.EnumerateArray());
        Assert.True(sink.GetProperty("up").GetBoolean());
        Assert.Equal(1, sink.GetProperty("delivered").GetInt32());
        Assert.Equal(2, sink.GetProperty("failures").GetInt32());
        File.Delete(feed);
    }

    [Fact]
    public async Task Syslog_Tcp_OctetCountedFrames()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var dns = new TestDnsServer();
        dns.A("c2.test", "127.0.0.77");
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "", services => { }, [
            "--Rules:File=" + WriteRules("""{"rules":[{"id":"c2","action":"deny","destinations":["c2.test"],"alert":true}]}"""),
            $"--Alerts:Syslog:Address=tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", "--Alerts:Syslog:Facility=10"]);

        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://c2.test/")).StatusCode);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var connection = await listener.AcceptTcpClientAsync(timeout.Token);
        var stream = connection.GetStream();
        var length = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, timeout.Token) == 1 && one[0] != (byte)' ')
        {
            length.Append((char)one[0]);
        }

        var frame = new byte[int.Parse(length.ToString(), System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(frame, timeout.Token);
        var message = Encoding.UTF8.GetString(frame);
        Assert.StartsWith("<84>1 ", message);  // authpriv (10) * 8 + warning
        Assert.Contains("kind=\"rule\"", message);
        Assert.Contains("rule=\"rule:c2\"", message);
    }

    [Fact]
    public async Task Start_BadAlertSettings_EveryErrorNamed()
    {
        using var dns = new TestDnsServer();
        var ex = await Assert.ThrowsAsync<EgressGuard.Configuration.ConfigurationErrorsException>(() => TestProxy.StartAsync(dns.Endpoint, "", "",
            "--Alerts:Webhooks:0:Url=ftp://x/", "--Alerts:Syslog:Address=syslog.example:514", "--Alerts:DedupWindow=00:00:00", "--Alerts:Syslog:Facility=24"));

        Assert.Contains(ex.Errors, e => e.StartsWith("Alerts:Webhooks:0:Url = 'ftp://x/'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Alerts:Syslog:Address = 'syslog.example:514'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Alerts:DedupWindow", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Alerts:Syslog:Facility = '24'", StringComparison.Ordinal));
    }

    private static string WriteRules(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"egressguard-rules-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
