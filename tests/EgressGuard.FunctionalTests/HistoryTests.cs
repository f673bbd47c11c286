using System.Net;
using System.Text.Json;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.ThreatFeeds;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>The investigation history against real traffic through the proxy: queries, retro-hunt, report, CLI.</summary>
public sealed class HistoryTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-history", Guid.NewGuid().ToString("N"));
    private TestUpstream _upstream = null!;
    private TestUpstream _later = null!;
    private TestProxy _proxy = null!;

    private string Feed => Path.Combine(_dir, "c2.txt");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Feed, "127.0.0.77\n");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        // An upstream on an address that a later feed refresh lists: reached before it was known bad.
        _later = await TestUpstream.StartAsync(IPAddress.Parse("127.0.0.88"));
        _dns.A("good.test", "127.0.0.1").A("c2.test", "127.0.0.77").A("sleeper.test", "127.0.0.88");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", [
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Feed}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            "--History:FlushInterval=00:00:00.100"]);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        await _later.DisposeAsync();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<HttpStatusCode> GetAsync(string url)
    {
        using var client = _proxy.CreateClient();
        return (await client.GetAsync(url)).StatusCode;
    }

    /// <summary>Polls until the rows hold at least <paramref name="atLeast"/> requests (identical ones may be folded into one row with a count).</summary>
    private async Task<JsonElement[]> QueryAsync(string pathAndQuery, int atLeast)
    {
        using var admin = _proxy.CreateAdminClient();
        for (var i = 0; ; i++)
        {
            var rows = JsonSerializer.Deserialize<JsonElement[]>(await admin.GetStringAsync(pathAndQuery))!;
            if (Requests(rows) >= atLeast || i == 100)
            {
                return rows;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Queries_RealTraffic_WhoTalkedToWhatAndPassiveDns()
    {
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"http://good.test:{_upstream.Port}/hello"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://c2.test/gate"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://c2.test/gate2"));

        var byName = await QueryAsync("/history/connections?destination=c2.test", 2);
        Assert.Equal(2, Requests(byName));
        Assert.All(byName, r => Assert.Equal(("127.0.0.1", "deny", "feed:feodo"), (r.GetProperty("client").GetString(), r.GetProperty("decision").GetString(), r.GetProperty("rule").GetString())));
        Assert.Equal(2, Requests(await QueryAsync("/history/connections?destination=127.0.0.0/24&decision=deny", 2)));
        Assert.Equal(1, Requests(await QueryAsync("/history/connections?destination=127.0.0.1&decision=allow", 1)));
        Assert.Equal(3, Requests(await QueryAsync("/history/connections?source=127.0.0.1&since=1h", 3)));

        var dns = Assert.Single(await QueryAsync("/history/dns?name=c2.test", 1));
        Assert.Equal("127.0.0.77", dns.GetProperty("address").GetString());
        var top = Assert.Single(await QueryAsync("/history/top?since=1h", 1));
        Assert.Equal(2, top.GetProperty("denies").GetInt32());

        using var admin = _proxy.CreateAdminClient();
        var bad = await admin.GetAsync("/history/connections?decision=maybe&since=soon");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("since = 'soon'", problem);
        Assert.Contains("decision = 'maybe'", problem);

        string[] cli = ["--admin", _proxy.AdminUrl, "--token", TestProxy.AdminToken];
        var output = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync(["connections", "--destination", "c2.test", .. cli], report: false, output, TextWriter.Null));
        Assert.Matches(@"(?m)^TIME\s+COUNT\s+CLIENT\s+USER\s+GROUPS\s+METHOD\s+HOST\s+PORT\s+ADDRESSES\s+DECISION\s+RULE\s+UPSTREAM\s+STATUS\s+TRACE\s*$", output.ToString());
        Assert.Matches(@"(?m)^\S+\s+[12]\s+127\.0\.0\.1\s+GET\s+c2\.test\s+80\s+127\.0\.0\.77\s+deny\s+feed:feodo\s+403\s+[0-9a-f]{32}\s*$", output.ToString());
        output = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync(["dns", "c2.test", "--format", "csv", .. cli], report: false, output, TextWriter.Null));
        Assert.StartsWith("NAME,ADDRESS,FIRST SEEN,LAST SEEN\nc2.test,127.0.0.77,", output.ToString());
    }

    [Fact]
    public async Task Refusal_TargetNeverDecided_RecordedLikeEveryExchange()
    {
        // A refusal before any target is decided (an https:// absolute-form target, a TRACE) still
        // has its decision line and its history row: an investigator sees every attempt.
        foreach (var request in new[] { "GET https://c2.test/gate HTTP/1.1\r\nHost: c2.test\r\n\r\n", "TRACE http://c2.test/gate HTTP/1.1\r\nHost: c2.test\r\n\r\n" })
        {
            using var raw = await RawClient.ConnectAsync(_proxy.Port);
            await raw.SendAsync(request);
            var (head, _) = await raw.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 4", head, StringComparison.Ordinal);
        }

        var line = await _proxy.WaitForDecisionAsync(l => l.TryGetProperty("http.request.method", out var m) && m.GetString() == "TRACE");
        Assert.Equal(405, line.GetProperty("http.response.status_code").GetInt32());
        var rows = await QueryAsync("/history/connections?source=127.0.0.1&since=1h", 2);
        Assert.Contains(rows, r => r.GetProperty("method").GetString() == "GET" && r.GetProperty("status").GetInt32() == 400 && r.GetProperty("reason").GetString() == "bad-request");
        Assert.Contains(rows, r => r.GetProperty("method").GetString() == "TRACE" && r.GetProperty("status").GetInt32() == 405);
    }

    [Fact]
    public async Task RetroHunt_FeedLaterListsAnAddressReachedEarlier_OneAlertPerSourceNeverRepeated()
    {
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"http://sleeper.test:{_later.Port}/hello"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"http://sleeper.test:{_later.Port}/whoami"));
        await QueryAsync("/history/connections?destination=sleeper.test", 2);

        File.WriteAllText(Feed, "127.0.0.77\n127.0.0.88\n");
        var feeds = _proxy.Services.GetRequiredService<FeedManager>();
        await feeds.RefreshAsync("feodo", CancellationToken.None);

        var alert = Assert.Single(await QueryAsync("/alerts?kind=retro-hunt", 1));
        Assert.Equal("127.0.0.1", alert.GetProperty("source").GetProperty("address").GetString());
        Assert.Equal("sleeper.test", alert.GetProperty("destination").GetProperty("name").GetString());
        Assert.Equal("feed:feodo", alert.GetProperty("rule").GetString());
        Assert.Equal(2, alert.GetProperty("count").GetInt32());
        Assert.Contains("reached sleeper.test", alert.GetProperty("summary").GetString());
        Assert.Contains("before feed:feodo listed it", alert.GetProperty("summary").GetString());
        var logged = await _proxy.WaitForDecisionAsync(l => l.Str("event") == "alert" && l.Str("egressguard.alert.kind") == "retro-hunt");
        Assert.Equal("sleeper.test", logged.Str("server.address"));

        // Now it is denied; another refresh and hunt finds nothing new to report.
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync($"http://sleeper.test:{_later.Port}/hello"));
        File.AppendAllText(Feed, "127.0.0.99\n");
        await feeds.RefreshAsync("feodo", CancellationToken.None);
        var hunt = _proxy.Services.GetRequiredService<EgressGuard.History.RetroHunt>();
        var runs = hunt.Runs;
        for (var i = 0; i < 100 && hunt.Runs == runs; i++)
        {
            await Task.Delay(50);
        }

        Assert.Single(await QueryAsync("/alerts?kind=retro-hunt", 1));
    }

    [Fact]
    public async Task RetroHunt_SecondSwapAddsOneEntry_OnlyThatEntrysConnectionChecked()
    {
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"http://sleeper.test:{_later.Port}/hello"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"http://good.test:{_upstream.Port}/hello"));
        await QueryAsync("/history/connections?destination=sleeper.test", 1);
        await QueryAsync("/history/connections?destination=good.test", 1);
        var hunt = _proxy.Services.GetRequiredService<EgressGuard.History.RetroHunt>();

        // First swap: an entry no connection reached; whatever this hunt was, the next one is incremental.
        File.WriteAllText(Feed, "127.0.0.77\n127.0.0.99\n");
        await RetroHunts.RefreshAndWaitAsync(_proxy.Services);
        Assert.Equal(0, hunt.Last!.Raised);

        // Second swap adds one entry that one historical connection reached.
        File.WriteAllText(Feed, "127.0.0.77\n127.0.0.99\n127.0.0.88\n");
        await RetroHunts.RefreshAndWaitAsync(_proxy.Services);
        var result = hunt.Last!;
        Assert.False(result.Full);
        Assert.Equal(1, result.Entries);
        Assert.True(result.Connections >= 2, $"{result.Connections} connections read");
        using (var diag = _proxy.CreateAdminClient())
        {
            Assert.True(result.Checked == 1, $"{result}: " + await diag.GetStringAsync("/history/connections?since=1h") + string.Join("\n", _proxy.Logs.Lines.Where(l => l.Contains("Retro-hunt", StringComparison.Ordinal))));
        }

        Assert.Equal(1, result.Raised);
        var alert = Assert.Single(await QueryAsync("/alerts?kind=retro-hunt", 1));
        Assert.Equal("sleeper.test", alert.GetProperty("destination").GetProperty("name").GetString());
        Assert.Contains(_proxy.Logs.Lines, l => l.Contains("Retro-hunt (incremental)", StringComparison.Ordinal) && l.Contains("1 entries checked, 1 of", StringComparison.Ordinal));

        // /status shows the same counts, for an operator.
        var status = (await _proxy.StatusAsync()).GetProperty("retroHunt");
        Assert.Equal(hunt.Runs, status.GetProperty("runs").GetInt32());
        var last = status.GetProperty("last");
        Assert.Equal(("incremental", 1, result.Connections, 1, 1), (last.GetProperty("mode").GetString(), last.GetProperty("entries").GetInt32(),
            last.GetProperty("connections").GetInt32(), last.GetProperty("evaluated").GetInt32(), last.GetProperty("raised").GetInt32()));
        Assert.Equal(result.Version, last.GetProperty("policyVersion").GetInt64());
        Assert.True(DateTimeOffset.UtcNow - last.GetProperty("at").GetDateTimeOffset() < TimeSpan.FromMinutes(1));

        // An admin's request hunts in full again, and raises nothing twice.
        using var admin = _proxy.CreateAdminClient();
        var runs = hunt.Runs;
        await admin.PostAsync("/history/retro-hunt", null);
        await WaitForRunAsync(hunt, runs);
        Assert.True(hunt.Last!.Full);
        Assert.Equal(0, hunt.Last.Raised);
        Assert.Equal("full", (await _proxy.StatusAsync()).GetProperty("retroHunt").GetProperty("last").GetProperty("mode").GetString());
    }

    private static async Task WaitForRunAsync(EgressGuard.History.RetroHunt hunt, int runs)
    {
        for (var i = 0; i < 200 && hunt.Runs == runs; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(hunt.Runs > runs, "no retro-hunt ran");
    }

    [Fact]
    public async Task Report_BlockedAlertsQuarantinesChanges_JsonTableCsv()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://c2.test/x"));
        await QueryAsync("/history/connections?destination=c2.test", 1);
        using (var admin = _proxy.CreateAdminClient())
        {
            await admin.PostAsync("/quarantine", JsonContent("""{"address":"10.9.9.9","duration":"1h","reason":"IR-7"}"""));
        }

        using var report = JsonDocument.Parse(await _proxy.CreateAdminClient().GetStringAsync("/report?since=1h"));
        var root = report.RootElement;
        Assert.Contains(root.GetProperty("blocked").GetProperty("byFeed").EnumerateArray(), r => r.GetProperty("key").GetString() == "feodo");
        Assert.Contains(root.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("destination").GetProperty("name").GetString() == "c2.test");
        Assert.Contains(root.GetProperty("quarantined").EnumerateArray(), q => q.GetProperty("address").GetString() == "10.9.9.9");
        Assert.Contains(root.GetProperty("changes").EnumerateArray(), c => c.GetProperty("action").GetString() == "quarantine.add");

        string[] cli = ["--since", "1h", "--admin", _proxy.AdminUrl, "--token", TestProxy.AdminToken];
        var table = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync(cli, report: true, table, TextWriter.Null));
        Assert.Contains("Blocked attempts by source", table.ToString());
        Assert.Matches(@"(?m)^127\.0\.0\.1\s+\d+\s*$", table.ToString());
        Assert.Contains("10.9.9.9 until", table.ToString());
        var csv = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync([.. cli, "--format", "csv"], report: true, csv, TextWriter.Null));
        Assert.StartsWith("section,key,count\n", csv.ToString());
        Assert.Contains("byFeed,feodo,", csv.ToString());
    }

    private static long Requests(JsonElement[] rows) =>
        rows.Sum(r => r.TryGetProperty("count", out var count) ? count.GetInt64() : 1);

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}

/// <summary>History switched off: nothing written, the queries say so.</summary>
public sealed class HistoryOffTests
{
    [Fact]
    public async Task HistoryDisabled_Queries404WithReason()
    {
        using var dns = new TestDnsServer();
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "", "--History:Enabled=false");
        using var admin = proxy.CreateAdminClient();

        var response = await admin.GetAsync("/history/connections");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("History:Enabled", await response.Content.ReadAsStringAsync());
        Assert.False(File.Exists(Path.Combine(proxy.Directory, "data", "history.db")));
    }
}
