using System.Net;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// Path (and method) rules are decided per request, so a blind CONNECT tunnel to a host and port
/// they apply to would carry requests they never see: such a CONNECT is refused, unless a rule
/// allows CONNECT there explicitly (<c>"methods": ["CONNECT"]</c>).
/// </summary>
public sealed class PathRuleTunnelTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-pathtunnel-" + Guid.NewGuid().ToString("N"));
    private readonly TestDnsServer _dns = new();
    private TestUpstream _backend = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _backend = await TestUpstream.StartAsync(IPAddress.Loopback);
        foreach (var name in new[] { "files.test", "open.test", "forms.test" })
        {
            _dns.A(name, "127.0.0.1");
        }
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Connect_PortWithDenyPathRule_403RuleNothingDialled()
    {
        await using var proxy = await StartAsync("""
            {"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*","/hello"]}
            """);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT files.test:{_backend.Port} HTTP/1.1\r\nHost: files.test:{_backend.Port}\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();

        // Before the fix: 200, and "GET /hello" through the tunnel reached the backend unchecked.
        Assert.StartsWith("HTTP/1.1 403", head, StringComparison.Ordinal);
        Assert.Contains("X-EgressGuard-Reason: rule", head, StringComparison.Ordinal);
        Assert.Contains("X-EgressGuard-Rule: rule:no-secrets", head, StringComparison.Ordinal);
        Assert.Equal(0, _backend.Connections);

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "files.test");
        Assert.Equal("deny", line.Str("egressguard.decision"));
        Assert.Equal("rule", line.Str("egressguard.reason"));
        Assert.Contains("a blind tunnel would bypass them", line.Str("egressguard.detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ExplicitConnectAllowRule_TunnelledBlind()
    {
        await using var proxy = await StartAsync("""
            {"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*"]},
            {"id":"tunnel-ok","action":"allow","destinations":["files.test"],"methods":["connect"]}
            """);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT files.test:{_backend.Port} HTTP/1.1\r\nHost: files.test:{_backend.Port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head, StringComparison.Ordinal);
        await raw.SendAsync($"GET /hello HTTP/1.1\r\nHost: files.test:{_backend.Port}\r\nConnection: close\r\n\r\n");
        Assert.Contains("hello from 127.0.0.1", Encoding.Latin1.GetString(await raw.ReadToEndAsync()), StringComparison.Ordinal);
        raw.Dispose(); // the tunnel's line is written when both sides have closed

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "files.test");
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.Equal("rule:tunnel-ok", line.Str("egressguard.rule"));
    }

    [Fact]
    public async Task PlainGet_AllowedPathUnderPathRule_ForwardedDeniedPath403()
    {
        await using var proxy = await StartAsync("""
            {"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*"]},
            {"id":"tunnel-ok","action":"allow","destinations":["files.test"],"methods":["CONNECT"]}
            """);
        using var client = proxy.CreateClient();
        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"http://files.test:{_backend.Port}/hello"));
        using var denied = await client.GetAsync($"http://files.test:{_backend.Port}/secret/plans");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("rule:no-secrets", denied.Headers.GetValues("X-EgressGuard-Rule").Single());

        // The CONNECT-only rule does not decide plain requests: the line names no rule (the default allowed it).
        var line = await proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/hello");
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.NotEqual("rule:tunnel-ok", line.Str("egressguard.rule"));
    }

    [Fact]
    public async Task MethodRule_PostDeniedGetForwardedConnectRefused()
    {
        await using var proxy = await StartAsync("""
            {"id":"read-only","action":"deny","destinations":["forms.test"],"methods":["POST","put"]}
            """);
        using var client = proxy.CreateClient();
        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"http://forms.test:{_backend.Port}/hello"));
        using var post = await client.PostAsync($"http://forms.test:{_backend.Port}/echo-hash", new StringContent("x"));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal("rule:read-only", post.Headers.GetValues("X-EgressGuard-Rule").Single());

        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT forms.test:{_backend.Port} HTTP/1.1\r\nHost: forms.test:{_backend.Port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_HostWithoutPathRule_Tunnelled()
    {
        await using var proxy = await StartAsync("""
            {"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*"]}
            """);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT open.test:{_backend.Port} HTTP/1.1\r\nHost: open.test:{_backend.Port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiveBlindTunnel_PathRuleAddedForItsHost_Closed()
    {
        await using var proxy = await StartAsync("""
            {"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*"]}
            """);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT open.test:{_backend.Port} HTTP/1.1\r\nHost: open.test:{_backend.Port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head, StringComparison.Ordinal);

        // During an incident a path rule is added for the host the tunnel already goes to: the same
        // CONNECT made now is refused, so the open one must not keep carrying requests past the rule.
        using var admin = proxy.CreateAdminClient();
        var created = await admin.PostAsync("/rules", new StringContent("""{"id":"open-paths","action":"deny","destinations":["open.test"],"paths":["/admin*"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "open.test");
        Assert.Equal("policy-changed", line.Str("error.type"));
        Assert.Equal("rule:open-paths", line.Str("egressguard.closed_by.rule"));
    }

    [Fact]
    public async Task Explain_ConnectWherePathRuleApplies_DenyNamingTheRule()
    {
        await using var proxy = await StartAsync("""
            {"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*"]}
            """);
        using var admin = proxy.CreateAdminClient();
        var port = _backend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var connect = await ExplainAsync(admin, $$"""{"destination":"files.test","port":{{port}},"method":"CONNECT"}""");
        Assert.Equal("deny", connect.GetProperty("decision").Str("action"));
        Assert.Equal("rule:no-secrets", connect.GetProperty("decision").Str("rule"));

        var get = await ExplainAsync(admin, $$"""{"destination":"files.test","port":{{port}},"method":"GET"}""");
        Assert.Equal("allow", get.GetProperty("decision").Str("action"));
        var secret = await ExplainAsync(admin, $$"""{"destination":"files.test","port":{{port}},"method":"get","path":"/secret/plans"}""");
        Assert.Equal("deny", secret.GetProperty("decision").Str("action"));
        Assert.Equal("rule:no-secrets", secret.GetProperty("decision").Str("rule"));

        using var bad = await admin.PostAsync("/explain", new StringContent("""{"destination":"files.test","method":"G ET"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("method = 'G ET'", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_RuleWithBadMethod_RefusedNamingTheRule()
    {
        await using var proxy = await StartAsync(string.Empty);
        using var admin = proxy.CreateAdminClient();
        using var bad = await admin.PostAsync("/rules", new StringContent("""{"id":"odd","action":"deny","destinations":["files.test"],"methods":["GET","FETCH/1"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("rule 'odd': methods[1] = 'FETCH/1'", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var ok = await admin.PostAsync("/rules", new StringContent("""{"id":"tunnels","action":"allow","destinations":["files.test"],"methods":["CONNECT"]}""", Encoding.UTF8, "application/json"));
        Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        Assert.Contains("\"methods\"", await admin.GetStringAsync("/rules/tunnels"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_SniNamesHostWithDenyPathRule_ClosedUnderEnforce()
    {
        var file = Path.Combine(_dir, "sni-rules.json");
        File.WriteAllText(file, """{"rules":[{"id":"no-secrets","action":"deny","destinations":["files.test"],"paths":["/secret*"]}]}""");
        await using var proxy = await TestProxy.StartAsync(
            _dns.Endpoint, "", "", $"--Rules:File={file}", $"--Tls:InspectPorts:0={_backend.Port}", "--Tls:SniCheck=enforce");
        using var raw = await RawClient.ConnectAsync(proxy.Port);

        // open.test has no path rule: the CONNECT is allowed; its ClientHello names files.test.
        await raw.SendAsync($"CONNECT open.test:{_backend.Port} HTTP/1.1\r\nHost: open.test:{_backend.Port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head, StringComparison.Ordinal);
        await raw.SendAsync(await ClientHelloBytes.CaptureAsync("files.test"));
        await raw.ReadToEndAsync();

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "open.test");
        Assert.Equal("deny", line.Str("egressguard.decision"));
        Assert.Equal("rule:no-secrets", line.Str("egressguard.rule"));
        Assert.Contains("TLS server name 'files.test'", line.Str("egressguard.detail"), StringComparison.Ordinal);
        Assert.Contains("a blind tunnel would bypass them", line.Str("egressguard.detail"), StringComparison.Ordinal);
    }

    private static async Task<System.Text.Json.JsonElement> ExplainAsync(HttpClient admin, string body)
    {
        using var response = await admin.PostAsync("/explain", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task<TestProxy> StartAsync(string rules)
    {
        var file = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, $$"""{"rules":[{{rules}}]}""");
        return TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "listed.test\n", $"--Rules:File={file}");
    }
}
