using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using EgressGuard.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EgressGuard.FunctionalTests.Fleet;

/// <summary>
/// Two EgressGuard nodes in this process sharing one private PostgreSQL cluster (a fresh database
/// per test): what is done on one node is enforced on the other.
/// </summary>
public sealed class FleetTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _echo = new(IPAddress.Loopback);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-fleet", Guid.NewGuid().ToString("N"));
    private readonly List<TestProxy> _nodes = [];
    private PostgresServer? _postgres;
    private TestUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n");
        _dns.A("good.test", "127.0.0.1").A("other.test", "127.0.0.1").A("c2.test", "127.0.0.77");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _postgres = await PostgresServer.StartIfAvailableAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        await _upstream.DisposeAsync();
        _echo.Dispose();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A fresh database on the shared cluster; returns its connection string.</summary>
    private async Task<string> NewDatabaseAsync()
    {
        var name = "eg_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(_postgres!.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Database = name }.ConnectionString;
    }

    private async Task<TestProxy> StartNodeAsync(string connectionString, string name, params string[] extra)
    {
        var node = await TestProxy.StartAsync(_dns.Endpoint, "", "", [
            $"--Store:Postgres={connectionString}", $"--Node:Name={name}",
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Path.Combine(_dir, "c2.txt")}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            $"--Data:Directory={Path.Combine(_dir, name)}",
            .. extra]);
        _nodes.Add(node);
        return node;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<HttpStatusCode> GetAsync(TestProxy proxy, string url)
    {
        using var client = proxy.CreateClient();
        using var response = await client.GetAsync(url);
        return response.StatusCode;
    }


    [PostgresFact]
    public async Task RulesFileEditedOnOwner_CommittedToFleet_EnforcedOnOtherNode()
    {
        var db = await NewDatabaseAsync();
        var rulesFile = Path.Combine(_dir, "owner-rules.json");
        File.WriteAllText(rulesFile, """{"rules":[]}""");
        var a = await StartNodeAsync(db, "node-a", "--Store:RulesFileOwner=true", $"--Rules:File={rulesFile}");
        var b = await StartNodeAsync(db, "node-b");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(b, $"http://good.test:{_upstream.Port}/hello"));

        File.WriteAllText(rulesFile, """{"rules":[{"id":"from-file","action":"deny","destinations":["good.test"]}]}""");

        await Eventually.UntilAsync(async () => await GetAsync(b, $"http://good.test:{_upstream.Port}/hello") == HttpStatusCode.Forbidden, "node B denies good.test after the owner's rules file was edited");
        using var adminB = b.CreateAdminClient();
        var rules = JsonDocument.Parse(await adminB.GetStringAsync("/rules")).RootElement;
        Assert.Contains(rules.GetProperty("rules").EnumerateArray(), r => r.GetProperty("rule").GetProperty("id").GetString() == "from-file");
        Assert.Contains(a.Logs.Lines, l => l.Contains("committed to the fleet", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task RuleAddedOnNodeA_DeniesOnNodeBWithinOneSecond_LiveTunnelCut()
    {
        var db = await NewDatabaseAsync();
        var a = await StartNodeAsync(db, "node-a");
        var b = await StartNodeAsync(db, "node-b");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(b, $"http://good.test:{_upstream.Port}/hello"));
        using var tunnel = await RawClient.ConnectAsync(b.Port);
        await tunnel.SendAsync($"CONNECT good.test:{_echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await tunnel.ReadHeadAsync()).Head);

        using var admin = a.CreateAdminClient();
        var created = await admin.PostAsync("/rules", Json("""{"id":"block-good","action":"deny","destinations":["good.test"]}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var stopwatch = Stopwatch.StartNew();
        await Eventually.UntilAsync(async () => await GetAsync(b, $"http://good.test:{_upstream.Port}/hello") == HttpStatusCode.Forbidden, "node B denies good.test after node A added the rule", TimeSpan.FromSeconds(1));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), stopwatch.Elapsed.ToString());
        Assert.Empty(await tunnel.ReadToEndAsync(TimeSpan.FromSeconds(5)));
        var line = await b.WaitForDecisionAsync(l => l.GetProperty("event").GetString() == "decision" && l.TryGetProperty("egressguard.rule", out var r) && r.GetString() == "rule:block-good");
        Assert.Equal("node-b", line.GetProperty("egressguard.node").GetString());
        using var adminB = b.CreateAdminClient();
        var rulesB = JsonDocument.Parse(await adminB.GetStringAsync("/rules")).RootElement;
        var rulesA = JsonDocument.Parse(await admin.GetStringAsync("/rules")).RootElement;
        Assert.Equal(rulesA.GetProperty("version").GetInt64(), rulesB.GetProperty("version").GetInt64());
        var history = JsonDocument.Parse(await adminB.GetStringAsync("/rules/history")).RootElement;
        Assert.Equal(2, history.GetArrayLength());
        // The audit trail is the fleet's: B's report lists the change made on A.
        await Eventually.UntilAsync(async () =>
            JsonDocument.Parse(await adminB.GetStringAsync("/report?since=1h")).RootElement.GetProperty("changes").EnumerateArray()
                .Any(c => c.GetProperty("action").GetString() == "create" && c.GetProperty("subject").GetString() == "block-good"), "node B's report lists the rule created on node A", TimeSpan.FromSeconds(5));
    }

    [PostgresFact]
    public async Task NodeRestartedWithEmptyDataFolder_EnforcesFleetRules()
    {
        var db = await NewDatabaseAsync();
        var a = await StartNodeAsync(db, "node-a");
        using var admin = a.CreateAdminClient();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/rules", Json("""{"id":"block-other","action":"deny","destinations":["other.test"]}"""))).StatusCode);

        var b = await StartNodeAsync(db, "node-fresh");

        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(b, $"http://other.test:{_upstream.Port}/"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(b, $"http://good.test:{_upstream.Port}/hello"));
    }

    [PostgresFact]
    public async Task QuarantineSetOnNodeB_RefusesClientOnNodeA_LiveTunnelCut_ReleaseOnA()
    {
        var db = await NewDatabaseAsync();
        var a = await StartNodeAsync(db, "node-a");
        var b = await StartNodeAsync(db, "node-b");
        using var tunnel = await RawClient.ConnectAsync(a.Port);
        await tunnel.SendAsync($"CONNECT good.test:{_echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await tunnel.ReadHeadAsync()).Head);

        using var adminB = b.CreateAdminClient();
        var added = await adminB.PostAsync("/quarantine", Json("""{"address":"127.0.0.1","duration":"2h","reason":"incident IR-7"}"""));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        await Eventually.UntilAsync(async () => await GetAsync(a, $"http://good.test:{_upstream.Port}/hello") == HttpStatusCode.Forbidden, "node A denies the source quarantined on node B", TimeSpan.FromSeconds(1));
        Assert.Empty(await tunnel.ReadToEndAsync(TimeSpan.FromSeconds(5)));
        using var adminA = a.CreateAdminClient();
        var listed = JsonDocument.Parse(await adminA.GetStringAsync("/quarantine")).RootElement;
        Assert.Equal("incident IR-7", listed.EnumerateArray().Single().GetProperty("reason").GetString());

        Assert.Equal(HttpStatusCode.OK, (await adminA.DeleteAsync("/quarantine/127.0.0.1")).StatusCode);
        await Eventually.UntilAsync(async () => await GetAsync(b, $"http://good.test:{_upstream.Port}/hello") == HttpStatusCode.OK, "node B allows the source released on node A", TimeSpan.FromSeconds(1));
    }

    [PostgresFact]
    public async Task SameSourceAndDestinationOnTwoNodes_OneAlertForTheFleet_ListedOnBoth()
    {
        var db = await NewDatabaseAsync();
        var a = await StartNodeAsync(db, "node-a");
        var b = await StartNodeAsync(db, "node-b");

        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(a, "http://c2.test/1"));
        using var adminA = a.CreateAdminClient();
        await Eventually.UntilAsync(async () => JsonDocument.Parse(await adminA.GetStringAsync("/alerts")).RootElement.GetArrayLength() == 1, "one alert on node A", TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(b, "http://c2.test/2"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(b, "http://c2.test/3"));

        using var adminB = b.CreateAdminClient();
        JsonElement alert = default;
        await Eventually.UntilAsync(async () =>
        {
            var alerts = JsonDocument.Parse(await adminB.GetStringAsync("/alerts")).RootElement;
            alert = alerts.EnumerateArray().SingleOrDefault();
            return alerts.GetArrayLength() == 1 && alert.GetProperty("count").GetInt64() == 3;
        }, "node B sees the fleet's single alert", TimeSpan.FromSeconds(5));
        Assert.Equal("node-a", alert.GetProperty("node").GetString());
        Assert.Equal("c2.test", alert.GetProperty("destination").GetProperty("name").GetString());
        var onA = JsonDocument.Parse(await adminA.GetStringAsync("/alerts")).RootElement.EnumerateArray().Single();
        Assert.Equal(alert.GetProperty("id").GetString(), onA.GetProperty("id").GetString());
        await a.WaitForDecisionAsync(l => l.GetProperty("event").GetString() == "alert");
        Assert.DoesNotContain(b.ReadDecisions(), l => l.GetProperty("event").GetString() == "alert");
    }

    [PostgresFact]
    public async Task RequestsThroughNodeA_HistoryOnNodeB_ShowsThemWithTheirNode()
    {
        var db = await NewDatabaseAsync();
        var a = await StartNodeAsync(db, "node-a", "--History:FlushInterval=00:00:00.100");
        var b = await StartNodeAsync(db, "node-b", "--History:FlushInterval=00:00:00.100");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, $"http://good.test:{_upstream.Port}/hello"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(a, "http://c2.test/x"));

        using var adminB = b.CreateAdminClient();
        JsonElement rows = default;
        await Eventually.UntilAsync(async () =>
        {
            rows = JsonDocument.Parse(await adminB.GetStringAsync("/history/connections?since=1h")).RootElement;
            return rows.GetArrayLength() >= 2;
        }, "node B's history holds both nodes' rows", TimeSpan.FromSeconds(10));
        Assert.Contains(rows.EnumerateArray(), r => r.GetProperty("host").GetString() == "good.test" && r.GetProperty("decision").GetString() == "allow" && r.GetProperty("addresses").GetString() == "127.0.0.1");
        Assert.Contains(rows.EnumerateArray(), r => r.GetProperty("host").GetString() == "c2.test" && r.GetProperty("rule").GetString() == "feed:feodo");
        var byRange = JsonDocument.Parse(await adminB.GetStringAsync("/history/connections?destination=127.0.0.0/24&decision=allow")).RootElement;
        Assert.Equal("good.test", byRange.EnumerateArray().Single().GetProperty("host").GetString());
        // Passive DNS is written in its own statement after the batch's rows: wait for it too.
        JsonElement dns = default;
        await Eventually.UntilAsync(async () =>
        {
            dns = JsonDocument.Parse(await adminB.GetStringAsync("/history/dns?name=good.test")).RootElement;
            return dns.GetArrayLength() > 0;
        }, "passive DNS for good.test in the shared history", TimeSpan.FromSeconds(10));
        Assert.Equal("127.0.0.1", dns.EnumerateArray().Single().GetProperty("address").GetString());
        var top = JsonDocument.Parse(await adminB.GetStringAsync("/history/top?since=1h")).RootElement;
        Assert.Equal("127.0.0.1", top.EnumerateArray().Single().GetProperty("client").GetString());
        var report = JsonDocument.Parse(await adminB.GetStringAsync("/report?since=1h")).RootElement;
        Assert.Contains(report.GetProperty("blocked").GetProperty("byFeed").EnumerateArray(), f => f.GetProperty("key").GetString() == "feodo");
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var nodes = new NpgsqlCommand("SELECT DISTINCT node FROM eg_connections", connection);
        Assert.Equal("node-a", (string?)await nodes.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task SignedInUserOnNodeA_HistoryOnNodeBBySourceUser_RowsWithTheirGroups()
    {
        var users = Path.Combine(_dir, "users.json");
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            Assert.True(EgressGuard.Cli.UsersCommand.Run(["add", "alice@CORP.EXAMPLE", "--groups", "staff,devs", "--password-stdin", "--iterations", "10000", "--file", users], new StringReader("pw\n"), output, error, interactive: false) == 0, error.ToString());
        }

        var db = await NewDatabaseAsync();
        var a = await StartNodeAsync(db, "node-a", "--History:FlushInterval=00:00:00.100", "--Auth:Mode=basic", $"--Auth:UsersFile={users}");
        var b = await StartNodeAsync(db, "node-b", "--History:FlushInterval=00:00:00.100");
        using (var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{a.Port}") { Credentials = new NetworkCredential("alice@CORP.EXAMPLE", "pw") }, UseProxy = true }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://c2.test/x")).StatusCode);
        }

        using var adminB = b.CreateAdminClient();
        var row = await Eventually.ValueAsync(async () =>
            JsonSerializer.Deserialize<JsonElement[]>(await adminB.GetStringAsync("/history/connections?source=alice%40CORP.EXAMPLE"))!.FirstOrDefault() is { ValueKind: JsonValueKind.Object } r ? (object)r : null,
            "node A's row for alice in the shared history");
        var found = (JsonElement)row;
        Assert.Equal(("c2.test", "deny"), (found.GetProperty("host").GetString(), found.GetProperty("decision").GetString()));
        Assert.Equal(["staff", "devs"], found.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        var top = JsonDocument.Parse(await adminB.GetStringAsync("/history/top?since=1h")).RootElement.EnumerateArray().Single();
        Assert.Equal(["staff", "devs"], top.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
    }

    [PostgresFact]
    public async Task RetroHuntOnSharedHistory_SecondSwapAddsOneEntry_OnlyThatEntrysConnectionChecked()
    {
        var db = await NewDatabaseAsync();
        await using var sleeper = await TestUpstream.StartAsync(IPAddress.Parse("127.0.0.88"));
        _dns.A("sleeper.test", "127.0.0.88");
        var a = await StartNodeAsync(db, "node-a", "--History:FlushInterval=00:00:00.100");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, $"http://sleeper.test:{sleeper.Port}/hello"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, $"http://good.test:{_upstream.Port}/hello"));
        using var admin = a.CreateAdminClient();
        await Eventually.UntilAsync(async () =>
            JsonDocument.Parse(await admin.GetStringAsync("/history/connections?since=1h")).RootElement.GetArrayLength() >= 2,
            "both connections in the shared history", TimeSpan.FromSeconds(10));
        var hunt = a.Services.GetRequiredService<EgressGuard.History.RetroHunt>();
        var feed = Path.Combine(_dir, "c2.txt");

        File.WriteAllText(feed, "127.0.0.77\n127.0.0.99\n");
        await RetroHunts.RefreshAndWaitAsync(a.Services);
        File.WriteAllText(feed, "127.0.0.77\n127.0.0.99\n127.0.0.88\n");
        await RetroHunts.RefreshAndWaitAsync(a.Services);

        var result = hunt.Last!;
        Assert.False(result.Full);
        Assert.Equal(1, result.Entries);
        Assert.True(result.Connections >= 2, $"{result.Connections} connections read");
        Assert.Equal(1, result.Checked);
        Assert.Equal(1, result.Raised);

        // Raised is counted when the alert is handed to the shared store's writer, which lands it
        // a moment later: wait for it to be readable, as an investigator's console would.
        JsonElement alerts = default;
        await Eventually.UntilAsync(async () =>
            (alerts = JsonDocument.Parse(await admin.GetStringAsync("/alerts?kind=retro-hunt")).RootElement).GetArrayLength() > 0,
            "the retro-hunt alert in the shared store", TimeSpan.FromSeconds(10));
        Assert.Equal("sleeper.test", alerts.EnumerateArray().Single().GetProperty("destination").GetProperty("name").GetString());
    }
}
