using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;

namespace EgressGuard.FunctionalTests;

/// <summary>Rules edited live through the admin API and the rules file, over real HTTP on loopback.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _target = new(IPAddress.Parse("127.0.0.90"));
    private readonly TcpTestServer _other = new(IPAddress.Parse("127.0.0.91"));
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _dns.A("app.test", "127.0.0.90").A("other.test", "127.0.0.91");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _target.Dispose();
        _other.Dispose();
        _dns.Dispose();
    }

    private string RulesFile => Path.Combine(_proxy.Directory, "rules.json");

    private async Task<string> ConnectAsync(string host, int port)
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT {host}:{port} HTTP/1.1\r\n\r\n");
        return (await raw.ReadHeadAsync()).Head;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Auth_NoOrWrongToken_401HealthOpen()
    {
        using var anonymous = _proxy.CreateAdminClient(token: null);
        var none = await anonymous.GetAsync("/rules");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Bearer", none.Headers.WwwAuthenticate.ToString());

        using var wrong = _proxy.CreateAdminClient(token: "not-the-token-at-all");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/rules")).StatusCode);
        Assert.Equal("ok\n", await anonymous.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public void AdminOnNonLoopbackWithoutToken_RefusesToStart()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build([
            "--config", Path.Combine(_proxy.Directory, "egressguard.json"), "--Admin:Listen=0.0.0.0:0", "--Admin:Token="]));
        Assert.Contains(ex.Errors, e => e.Contains("Admin:Token", StringComparison.Ordinal) && e.Contains("loopback", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateRule_EnforcedAtOnce_WrittenAudited_ThenDeleted()
    {
        using var admin = _proxy.CreateAdminClient();
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync("app.test", _target.Port));

        var created = await admin.PostAsync("/rules", Json("""{"id":"block-app","action":"deny","destinations":["app.test"],"comment":"incident","ticket":"IR-1"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/rules/block-app", created.Headers.Location!.ToString());

        var denied = await ConnectAsync("app.test", _target.Port);
        Assert.StartsWith("HTTP/1.1 403", denied);
        Assert.Contains("X-EgressGuard-Rule: rule:block-app", denied);
        Assert.Contains("X-EgressGuard-Reason: rule", denied);

        // Placed before the built-in entries, and in the file.
        var list = JsonDocument.Parse(await admin.GetStringAsync("/rules")).RootElement;
        Assert.Equal("block-app", list.GetProperty("rules")[0].GetProperty("rule").GetProperty("id").GetString());
        Assert.Contains("\"block-app\"", File.ReadAllText(RulesFile));

        var audit = File.ReadAllLines(Path.Combine(_proxy.Directory, "data", "audit.jsonl"));
        var entry = JsonDocument.Parse(audit[^1]).RootElement;
        Assert.Equal("admin", entry.GetProperty("actor").GetString());
        Assert.Equal("create", entry.GetProperty("action").GetString());
        Assert.Equal("IR-1", entry.GetProperty("after").GetProperty("ticket").GetString());
        await _proxy.WaitForDecisionAsync(l => l.Str("event") == "audit" && l.Str("rule") == "block-app");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/rules/block-app")).StatusCode);
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync("app.test", _target.Port));
    }

    [Fact]
    public async Task BadRequests_ProblemJsonWithEveryError()
    {
        using var admin = _proxy.CreateAdminClient();
        var invalid = await admin.PostAsync("/rules", Json("""{"id":"x","action":"block","destinations":["10.0.0.0/33"],"ports":["70000"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType!.MediaType);
        var errors = JsonDocument.Parse(await invalid.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(errors, e => e!.StartsWith("rule 'x': action", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("rule 'x': destinations[0]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("rule 'x': ports[0]", StringComparison.Ordinal));

        var expired = await admin.PostAsync("/rules", Json("""{"id":"old","action":"deny","destinations":["x.test"],"expires":"2020-01-01T00:00:00Z"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Contains("in the past", await expired.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/rules/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.DeleteAsync("/rules/guard")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/rules", Json("""{"id":"dup","action":"deny","destinations":["dup.test"]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/rules", Json("""{"id":"dup","action":"deny","destinations":["dup.test"]}"""))).StatusCode);
    }

    [Fact]
    public async Task FileEdit_ValidAppliedWithoutDroppingTunnel_InvalidRefusedLastGoodKept()
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT other.test:{_other.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);

        File.WriteAllText(RulesFile, """{"rules":[{"id":"block-app","action":"deny","destinations":["app.test"]}]}""");
        await Eventually.UntilAsync(async () => (await ConnectAsync("app.test", _target.Port)).StartsWith("HTTP/1.1 403", StringComparison.Ordinal), "the edited rules file enforced");

        // The unrelated tunnel is still up.
        await raw.SendAsync("still here");
        Assert.Equal("still here", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(10)));

        // The watcher's reload says what it did: wait for that, then check the rule still holds.
        File.WriteAllText(RulesFile, """{"rules":[{"id":"broken","action":"maybe"}]}""");
        await Eventually.UntilAsync(() => _proxy.Logs.Lines.Any(l => l.Contains("keeping the last good rules", StringComparison.Ordinal) && l.Contains("rule 'broken'", StringComparison.Ordinal)), "the broken rules file refused");
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("app.test", _target.Port));

        File.Delete(RulesFile);
        await Eventually.UntilAsync(() => _proxy.Logs.Lines.Any(l => l.Contains("deleted: keeping the last good rules", StringComparison.Ordinal)), "the deleted rules file noticed");
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("app.test", _target.Port));
    }

    [Fact]
    public async Task NewDenyRule_LiveTunnelToItClosed()
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT app.test:{_target.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);

        using var admin = _proxy.CreateAdminClient();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/rules", Json("""{"id":"cut","action":"deny","destinations":["127.0.0.90"]}"""))).StatusCode);

        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("server.address") == "app.test" && l.Str("error.type") == "policy-changed");
        Assert.Equal("rule:cut", line.Str("egressguard.closed_by.rule"));
    }

    [Fact]
    public async Task Explain_StepsAndDecisionWithoutConnecting()
    {
        using var admin = _proxy.CreateAdminClient();
        await admin.PostAsync("/rules", Json("""{"id":"app-only-team","action":"deny","destinations":["app.test"],"sources":["10.9.0.0/16"]}"""));
        var response = await admin.PostAsync("/explain", Json("""{"client":"10.9.1.1","destination":"app.test","port":443}"""));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("deny", body.GetProperty("decision").GetProperty("action").GetString());
        Assert.Equal("rule:app-only-team", body.GetProperty("decision").GetProperty("rule").GetString());
        Assert.Equal(403, body.GetProperty("status").GetInt32());
        Assert.Equal("app.test", body.GetProperty("steps")[0].GetProperty("subject").GetString());

        var other = JsonDocument.Parse(await (await admin.PostAsync("/explain", Json("""{"client":"10.1.1.1","destination":"app.test","port":443}"""))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("allow", other.GetProperty("decision").GetProperty("action").GetString());
        Assert.Contains(other.GetProperty("steps").EnumerateArray(), s => s.GetProperty("rule").GetString() == "rule:app-only-team" && s.GetProperty("result").GetString() == "conditions not met");
        Assert.Equal(0, _target.Connections);

        var bad = await admin.PostAsync("/explain", Json("""{"client":"nope","destination":""}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Rollback_RestoresEarlierVersion()
    {
        using var admin = _proxy.CreateAdminClient();
        await admin.PostAsync("/rules", Json("""{"id":"one","action":"deny","destinations":["one.test"]}"""));
        await admin.PostAsync("/rules", Json("""{"id":"two","action":"deny","destinations":["app.test"]}"""));
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("app.test", _target.Port));

        var history = JsonDocument.Parse(await admin.GetStringAsync("/rules/history")).RootElement.EnumerateArray().Select(h => h.GetProperty("version").GetInt64()).ToList();
        Assert.Equal(2, history.Count);
        var rolled = await admin.PostAsync($"/rules/rollback/{history.Min()}", null);
        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync("app.test", _target.Port));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/rules/rollback/999", null)).StatusCode);
    }

    [Fact]
    public async Task ConcurrentCreates_NoEditLost()
    {
        using var admin = _proxy.CreateAdminClient();
        var creates = Enumerable.Range(0, 12).Select(i => admin.PostAsync("/rules", Json($$"""{"id":"r{{i}}","action":"deny","destinations":["r{{i}}.test"]}""")));
        var responses = await Task.WhenAll(creates);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = JsonDocument.Parse(await admin.GetStringAsync("/rules")).RootElement.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("rule").GetProperty("id").GetString()).ToHashSet();
        Assert.All(Enumerable.Range(0, 12), i => Assert.Contains($"r{i}", ids));
    }

    [Fact]
    public async Task ReportRule_AllowsAndLogsWouldDeny()
    {
        using var admin = _proxy.CreateAdminClient();
        await admin.PostAsync("/rules", Json("""{"id":"trial","action":"deny","mode":"report","destinations":["app.test"]}"""));
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync("app.test", _target.Port));
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("server.address") == "app.test");
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.StartsWith("rule:trial", line.Str("egressguard.would_deny"));
    }

    [Fact]
    public async Task Reorder_MovesAllowBeforeGuard()
    {
        using var admin = _proxy.CreateAdminClient();
        await admin.PostAsync("/rules", Json("""{"id":"corp","action":"allow","destinations":["10.20.0.0/16"]}"""));
        var order = JsonDocument.Parse(await admin.GetStringAsync("/rules")).RootElement.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("rule").GetProperty("id").GetString()!).ToList();
        var reversed = new List<string> { "guard" };
        reversed.AddRange(order.Where(id => id != "guard"));
        var response = await admin.PostAsJsonAsync("/rules/reorder", new { order = reversed });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/rules/reorder", new { order = new[] { "guard" } })).StatusCode);
    }

    [Fact]
    public async Task Decisions_RecentFilteredAndFeedsStatus()
    {
        await ConnectAsync("app.test", _target.Port);
        await ConnectAsync("127.0.0.66", 443);
        using var admin = _proxy.CreateAdminClient();
        var all = JsonDocument.Parse(await admin.GetStringAsync("/decisions?destination=app.test")).RootElement;
        Assert.True(all.GetArrayLength() >= 1);
        Assert.All(all.EnumerateArray(), d => Assert.Equal("app.test", d.Str("server.address")));
        Assert.Equal("[]", (await admin.GetStringAsync("/feeds")).Trim());
        var status = JsonDocument.Parse(await admin.GetStringAsync("/status")).RootElement;
        Assert.True(status.GetProperty("rssBytes").GetInt64() > 0);
        var memory = status.GetProperty("memory");
        Assert.True(memory.GetProperty("committedBytes").GetInt64() >= memory.GetProperty("heapBytes").GetInt64());
        Assert.True(memory.GetProperty("privateBytes").GetInt64() > 0);
        if (OperatingSystem.IsLinux())
        {
            // RSS is anonymous + file-backed + shared resident memory.
            Assert.True(memory.GetProperty("workingSetBytes").GetInt64() >= memory.GetProperty("privateBytes").GetInt64());
        }

        Assert.Contains(memory.Str("gcMode"), new[] { "workstation", "server", "datas" });
        Assert.True(status.GetProperty("openFiles").GetInt32() > 0);
        Assert.Equal(0, status.GetProperty("decisionLinesDropped").GetInt64());
    }
}
