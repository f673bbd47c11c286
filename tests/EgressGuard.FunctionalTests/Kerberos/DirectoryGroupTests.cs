using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests.Kerberos;

/// <summary>
/// Kerberos users' groups from a real OpenLDAP (slapd) feeding group-scoped rules: direct and nested
/// groups, the cache through an outage (last known groups for the grace time, then fail closed).
/// </summary>
[Collection(KerberosTestGroup.Name)]
public sealed class DirectoryGroupTests
{
    private const string Rules = """
        {"rules":[
          {"id":"contractors-no-app","action":"deny","destinations":["app.test"],"groups":["contractors"]},
          {"id":"engineering-other","action":"allow","destinations":["other.test"],"groups":["engineering"]},
          {"id":"nobody-else-other","action":"deny","destinations":["other.test"]}
        ]}
        """;

    private readonly KerberosFixture _fixture;

    public DirectoryGroupTests(KerberosFixture fixture) => _fixture = fixture;

    private async Task<TestProxy> StartAsync(TestSlapd slapd, params string[] extra)
    {
        var proxy = await TestProxy.StartAsync(_fixture.Dns.Endpoint, "", "", [
            "--Auth:Mode=negotiate",
            $"--Auth:Negotiate:Keytab={_fixture.Kdc.ServiceKeytab}",
            $"--Auth:Negotiate:ServicePrincipal={TestKdc.ServicePrincipal}",
            .. slapd.ProxyOptions(),
            .. extra]);
        File.WriteAllText(Path.Combine(proxy.Directory, "rules.json"), Rules);
        using var admin = proxy.CreateAdminClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!(await admin.GetStringAsync("/rules")).Contains("nobody-else-other", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the rules file was not loaded");
            await Task.Delay(50);
        }

        return proxy;
    }

    /// <summary>The status curl got for <paramref name="host"/> through the proxy as <paramref name="cache"/>'s principal.</summary>
    private async Task<string> StatusAsync(TestProxy proxy, string cache, string host)
    {
        var (exit, stdout, stderr) = await ClientPrograms.RunAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", "-x", $"http://{TestKdc.ServiceHost}:{proxy.Port}", "--proxy-negotiate", "-U", ":", $"http://{host}:{_fixture.Upstream.Port}/hello"], _fixture.Kdc.ClientEnvironment(cache));
        Assert.True(exit == 0, stderr);
        return stdout;
    }

    [KerberosFact]
    public async Task GroupRules_DirectoryGroups_DenyByGroup_AllowByNestedGroup()
    {
        using var slapd = await TestSlapd.StartAsync();
        await using var proxy = await StartAsync(slapd);
        var alice = await _fixture.Kdc.KinitAsync("alice");
        var bob = await _fixture.Kdc.KinitAsync("bob");
        var carol = await _fixture.Kdc.KinitAsync("carol");

        Assert.Equal("403", await StatusAsync(proxy, bob, "app.test"));
        var denied = await proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "bob@" + TestKdc.Realm);
        Assert.Equal("rule:contractors-no-app", denied.Str("egressguard.rule"));
        Assert.Equal(["contractors"], denied.GetProperty("egressguard.groups").EnumerateArray().Select(g => g.GetString()));

        Assert.Equal("200", await StatusAsync(proxy, alice, "app.test"));
        Assert.Equal("403", await StatusAsync(proxy, alice, "other.test"));

        // carol is in devs; devs is in engineering.
        Assert.Equal("200", await StatusAsync(proxy, carol, "other.test"));
        var nested = await proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "carol@" + TestKdc.Realm);
        Assert.Equal(["devs", "engineering"], nested.GetProperty("egressguard.groups").EnumerateArray().Select(g => g.GetString()).Order());
        Assert.Equal("rule:engineering-other", nested.Str("egressguard.rule"));

        // The history finds her by principal, with the directory groups she had then.
        using var admin = proxy.CreateAdminClient();
        var row = await Eventually.ValueAsync(async () =>
            System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"/history/connections?source={Uri.EscapeDataString("carol@" + TestKdc.Realm)}")).RootElement
                .EnumerateArray().Select(r => (object?)r.Clone()).FirstOrDefault(),
            "carol's request in the history");
        var groups = ((System.Text.Json.JsonElement)row).GetProperty("groups").EnumerateArray().Select(g => g.GetString()).Order();
        Assert.Equal(["devs", "engineering"], groups);
    }

    [KerberosFact]
    public async Task LdapDown_LastKnownGroupsForTheGrace_ThenFailsClosed()
    {
        using var slapd = await TestSlapd.StartAsync();
        await using var proxy = await StartAsync(slapd, "--Directory:CacheTtl=00:00:01", "--Directory:Grace=00:00:02", "--Directory:Timeout=00:00:02");
        var carol = await _fixture.Kdc.KinitAsync("carol");
        var alice = await _fixture.Kdc.KinitAsync("alice");
        // Her groups are looked up during this request, so TTL + grace runs from no earlier than its
        // start; the end of the request (curl's exit included, ~0.1 s here) is later than the lookup.
        var asked = DateTime.UtcNow;
        Assert.Equal("200", await StatusAsync(proxy, carol, "other.test"));
        var known = DateTime.UtcNow;

        slapd.Stop();

        // Within TTL + grace: carol's last known groups still allow her.
        Assert.Equal("200", await StatusAsync(proxy, carol, "other.test"));
        Assert.True(DateTime.UtcNow - known < TimeSpan.FromSeconds(3), "too slow to check the grace time");

        // Past it: her groups are unknown, the group allow no longer matches.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string status;
        while ((status = await StatusAsync(proxy, carol, "other.test")) == "200")
        {
            Assert.True(DateTime.UtcNow < deadline, "still allowed long past the grace time");
            await Task.Delay(200);
        }

        Assert.Equal("403", status);
        Assert.True(DateTime.UtcNow - asked >= TimeSpan.FromSeconds(3), $"failed closed before TTL + grace: {(DateTime.UtcNow - asked).TotalMilliseconds:0} ms after the first request began");
        var closed = proxy.ReadDecisions().Last(l => l.Str("enduser.id") == "carol@" + TestKdc.Realm);
        Assert.Equal("rule:nobody-else-other", closed.Str("egressguard.rule"));

        // A user never looked up: unknown groups, so a group deny applies to her too (fail closed).
        Assert.Equal("403", await StatusAsync(proxy, alice, "app.test"));
        var alices = proxy.ReadDecisions().Last(l => l.Str("enduser.id") == "alice@" + TestKdc.Realm);
        Assert.Equal("rule:contractors-no-app", alices.Str("egressguard.rule"));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("Directory lookup failed", StringComparison.Ordinal));
    }
}
