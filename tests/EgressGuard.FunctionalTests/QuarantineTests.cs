using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Containment end to end: automatic trigger, remediation, live tunnels, API, CLI, restart.</summary>
public sealed class QuarantineTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _echo = new(IPAddress.Loopback);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-quarantine", Guid.NewGuid().ToString("N"));
    private TestUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n");
        _dns.A("c2.test", "127.0.0.77").A("good.test", "127.0.0.1").A("av.corp.test", "127.0.0.1");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _echo.Dispose();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<TestProxy> StartAsync(params string[] extra) => TestProxy.StartAsync(_dns.Endpoint, "", "", [
        "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Path.Combine(_dir, "c2.txt")}",
        "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
        $"--Data:Directory={Path.Combine(_dir, "data")}", "--Quarantine:Remediation:0=av.corp.test",
        .. extra]);

    private static async Task<HttpResponseMessage> GetAsync(TestProxy proxy, string url)
    {
        using var client = proxy.CreateClient();
        return await client.GetAsync(url);
    }

    [Fact]
    public async Task AutoQuarantine_ThresholdReached_AllEgressDeniedButRemediation_LiveTunnelCut()
    {
        await using var proxy = await StartAsync("--Quarantine:Enabled=true", "--Quarantine:Threshold=2", "--Quarantine:Duration=02:00:00");
        using var tunnel = await RawClient.ConnectAsync(proxy.Port);
        await tunnel.SendAsync($"CONNECT good.test:{_echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await tunnel.ReadHeadAsync()).Head);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(proxy, $"http://good.test:{_upstream.Port}/hello")).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(proxy, "http://c2.test/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(proxy, "http://c2.test/2")).StatusCode);

        var denied = await GetAsync(proxy, $"http://good.test:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("quarantined", denied.Headers.GetValues("X-EgressGuard-Reason").Single());
        Assert.Equal("quarantine", denied.Headers.GetValues("X-EgressGuard-Rule").Single());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(proxy, $"http://av.corp.test:{_upstream.Port}/hello")).StatusCode);

        // The tunnel opened before the quarantine is closed by it.
        Assert.Empty(await tunnel.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var closed = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "good.test");
        Assert.Equal("quarantined", closed.Str("error.type"));
        Assert.Equal("quarantine", closed.Str("egressguard.closed_by.rule"));

        using var admin = proxy.CreateAdminClient();
        var entry = Assert.Single(JsonDocument.Parse(await admin.GetStringAsync("/quarantine")).RootElement.EnumerateArray());
        Assert.Equal("127.0.0.1", entry.GetProperty("address").GetString());
        Assert.Equal("auto", entry.GetProperty("by").GetString());
        Assert.StartsWith("a-", entry.GetProperty("alertId").GetString());
        Assert.Contains("2 threat-feed denies within 00:10:00: last c2.test (feed:feodo, c2)", entry.GetProperty("reason").GetString());
        var audit = await proxy.WaitForDecisionAsync(l => l.Str("event") == "audit" && l.Str("action") == "quarantine.add");
        Assert.Equal("auto", audit.Str("actor"));
    }

    [Fact]
    public async Task ManualQuarantine_ApiAndCli_AddExtendReleaseAudited()
    {
        await using var proxy = await StartAsync();
        string[] cli = ["--admin", proxy.AdminUrl, "--token", TestProxy.AdminToken];
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(0, await QuarantineCommand.RunAsync(["add", "127.0.0.1", "--for", "30m", "--reason", "IR-42 suspected implant", .. cli], output, error));
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(proxy, $"http://good.test:{_upstream.Port}/hello")).StatusCode);

        output.GetStringBuilder().Clear();
        Assert.Equal(0, await QuarantineCommand.RunAsync(["list", .. cli], output, error));
        Assert.Matches(@"(?m)^ADDRESS\s+UNTIL\s+BY\s+SINCE\s+REASON\s*$", output.ToString());
        Assert.Matches(@"(?m)^127\.0\.0\.1\s+\S+\s+admin\s+\S+\s+IR-42 suspected implant\s*$", output.ToString());

        Assert.Equal(0, await QuarantineCommand.RunAsync(["extend", "127.0.0.1", "--for", "4h", .. cli], output, error));
        Assert.Equal(0, await QuarantineCommand.RunAsync(["release", "127.0.0.1", .. cli], output, error));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(proxy, $"http://good.test:{_upstream.Port}/hello")).StatusCode);
        Assert.Equal(1, await QuarantineCommand.RunAsync(["release", "127.0.0.1", .. cli], output, error));
        Assert.Contains("404 Not found: 127.0.0.1 is not quarantined", error.ToString());

        foreach (var action in new[] { "quarantine.add", "quarantine.extend", "quarantine.release" })
        {
            var line = await proxy.WaitForDecisionAsync(l => l.Str("event") == "audit" && l.Str("action") == action);
            Assert.Equal("admin", line.Str("actor"));
            Assert.Equal("127.0.0.1", line.Str("client.address"));
        }

        using var admin = proxy.CreateAdminClient();
        var bad = await admin.PostAsJsonAsync("/quarantine", new { address = "not-an-ip", duration = "soon" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("address = 'not-an-ip': not an IP address", problem);
        Assert.Contains("duration = 'soon'", problem);
    }

    [Fact]
    public async Task Quarantine_SurvivesRestart()
    {
        await using (var first = await StartAsync())
        {
            using var admin = first.CreateAdminClient();
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/quarantine", new { address = "127.0.0.1", duration = "2h" })).StatusCode);
        }

        await using var second = await StartAsync();
        var response = await GetAsync(second, $"http://good.test:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("quarantined", response.Headers.GetValues("X-EgressGuard-Reason").Single());
        Assert.Contains(second.Logs.Lines, l => l.Contains("1 source(s) still quarantined from before the restart", StringComparison.Ordinal));
    }
}
