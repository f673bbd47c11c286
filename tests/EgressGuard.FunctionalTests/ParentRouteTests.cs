using System.Net;
using System.Text;
using System.Text.Json;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// A rule's <c>upstream</c>: <c>direct</c> around the default parent, or a named parent from
/// <c>Upstream:Parents</c>, with two real parents on 127.0.0.1 (<see cref="TestParentProxy"/>).
/// The decision is made here first; the chosen parent receives the approved address.
/// </summary>
public sealed class ParentRouteTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TestParentProxy _parentA = new();
    private readonly TestParentProxy _parentB = new();
    private TestProxy _proxy = null!;

    public async Task InitializeAsync() =>
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "",
            [$"--Upstream:Proxy={_parentA.Endpoint}", $"--Upstream:Parents:b:Address={_parentB.Endpoint}", "--History:FlushInterval=00:00:00.100"]);

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _parentA.Dispose();
        _parentB.Dispose();
        _dns.Dispose();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task AddRuleAsync(string json)
    {
        using var admin = _proxy.CreateAdminClient();
        var response = await admin.PostAsync("/rules", Json(json));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> ConnectAndEchoAsync(int port)
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\nping");
        var (head, after) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
        var echoed = after.Length >= 4 ? after : [.. after, .. await raw.ReadExactlyAsync(4 - after.Length)];
        return Encoding.ASCII.GetString(echoed);
    }

    [Fact]
    public async Task Connect_RuleUpstreamDirect_BypassesDefaultParent()
    {
        using var echo = new TcpTestServer(IPAddress.Loopback);
        await AddRuleAsync($$"""{"id":"lan","action":"allow","destinations":["127.0.0.1"],"ports":["{{echo.Port}}"],"upstream":"direct"}""");

        Assert.Equal("ping", await ConnectAndEchoAsync(echo.Port));

        Assert.Empty(_parentA.RequestLines);
        Assert.Empty(_parentB.RequestLines);
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal("rule:lan", line.Str("egressguard.rule"));
        Assert.Equal("direct", line.Str("egressguard.upstream"));
    }

    [Fact]
    public async Task ConnectAndForward_RuleNamesParentB_GoThroughBWhileOthersUseDefault()
    {
        using var echo = new TcpTestServer(IPAddress.Loopback);
        await using var upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        await AddRuleAsync($$"""{"id":"via-b","action":"allow","destinations":["127.0.0.1"],"ports":["{{echo.Port}}","{{upstream.Port}}"],"upstream":"b"}""");
        using var other = new TcpTestServer(IPAddress.Loopback);

        Assert.Equal("ping", await ConnectAndEchoAsync(echo.Port));
        using var client = _proxy.CreateClient();
        var response = await client.GetAsync($"http://127.0.0.1:{upstream.Port}/hello");
        Assert.Equal("hello from 127.0.0.1", await response.Content.ReadAsStringAsync());
        Assert.Equal("ping", await ConnectAndEchoAsync(other.Port));

        // B got the rule's two exchanges, to the approved address; A only the one no rule routes.
        Assert.Equal([$"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1", $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1"], _parentB.RequestLines);
        Assert.Equal([$"CONNECT 127.0.0.1:{other.Port} HTTP/1.1"], _parentA.RequestLines);
        var tunnel = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal("b", tunnel.Str("egressguard.upstream"));
        var forward = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET" && l.GetProperty("server.port").GetInt32() == upstream.Port);
        Assert.Equal("b", forward.Str("egressguard.upstream"));
        var unrouted = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == other.Port);
        Assert.Equal(_parentA.Endpoint, unrouted.Str("egressguard.upstream"));
    }

    [Fact]
    public async Task History_ExchangesThroughParentsAndDirect_RowsSayWhoCarriedThem()
    {
        using var echo = new TcpTestServer(IPAddress.Loopback);
        using var other = new TcpTestServer(IPAddress.Loopback);
        await AddRuleAsync($$"""{"id":"via-b","action":"allow","destinations":["127.0.0.1"],"ports":["{{echo.Port}}"],"upstream":"b"}""");
        Assert.Equal("ping", await ConnectAndEchoAsync(echo.Port));
        Assert.Equal("ping", await ConnectAndEchoAsync(other.Port));

        using var admin = _proxy.CreateAdminClient();
        var rows = await Eventually.ValueAsync(async () =>
            JsonSerializer.Deserialize<JsonElement[]>(await admin.GetStringAsync("/history/connections?destination=127.0.0.1"))! is { Length: >= 2 } found ? found : null,
            "both tunnels in the history");
        Assert.Equal("b", Assert.Single(rows, r => r.GetProperty("port").GetInt32() == echo.Port).GetProperty("upstream").GetString());
        Assert.Equal(_parentA.Endpoint, Assert.Single(rows, r => r.GetProperty("port").GetInt32() == other.Port).GetProperty("upstream").GetString());

        var table = new StringWriter();
        Assert.Equal(0, await EgressGuard.Cli.HistoryCommand.RunAsync(["connections", "--destination", "127.0.0.1", "--admin", _proxy.AdminUrl, "--token", TestProxy.AdminToken], report: false, table, TextWriter.Null));
        Assert.Matches(@"(?m)^TIME\s+.*\bRULE\s+UPSTREAM\s+STATUS\b", table.ToString());
        Assert.Matches($@"(?m)\s{echo.Port}\s+127\.0\.0\.1\s+allow\s+rule:via-b\s+b\s+200\b", table.ToString());
    }

    [Fact]
    public async Task PostAndPut_UnknownParent_400NamingRuleAndRulesKept()
    {
        using var admin = _proxy.CreateAdminClient();
        var posted = await admin.PostAsync("/rules", Json("""{"id":"via-c","action":"allow","destinations":["c.test"],"upstream":"c"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Contains("rule 'via-c': upstream = 'c': expected direct or the name of a parent proxy under Upstream:Parents", await posted.Content.ReadAsStringAsync());

        await AddRuleAsync("""{"id":"via-b","action":"allow","destinations":["b.test"],"upstream":"b"}""");
        var put = await admin.PutAsync("/rules/via-b", Json("""{"id":"via-b","action":"allow","destinations":["b.test"],"upstream":"nope"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("rule 'via-b': upstream = 'nope'", await put.Content.ReadAsStringAsync());

        // The last good rule stays, with its upstream, in the API and in explain.
        var kept = JsonDocument.Parse(await admin.GetStringAsync("/rules/via-b")).RootElement;
        Assert.Equal("b", kept.GetProperty("upstream").GetString());
        Assert.DoesNotContain(JsonDocument.Parse(await admin.GetStringAsync("/rules")).RootElement.GetProperty("rules").EnumerateArray(), r => r.GetProperty("rule").GetProperty("id").GetString() == "via-c");
    }

    [Fact]
    public void Build_BadParentNameOrNoAddress_StartStopsNamingTheKey()
    {
        var config = Path.Combine(Path.GetTempPath(), $"egressguard-parents-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{}");
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(
            ["--config", config, "--Upstream:Parents:Direct:Address=127.0.0.1:3128", "--Upstream:Parents:eu:CredentialsFile=x", "--Upstream:Parents:us:Address=us.example/x"]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Upstream:Parents:Direct: a parent's name may contain only", StringComparison.Ordinal));
        Assert.Contains("Upstream:Parents:eu:Address is required (host:port of an HTTP CONNECT proxy)", ex.Errors);
        Assert.Contains(ex.Errors, e => e.StartsWith("Upstream:Parents:us:Address = 'us.example/x': expected host:port", StringComparison.Ordinal));
    }
}
