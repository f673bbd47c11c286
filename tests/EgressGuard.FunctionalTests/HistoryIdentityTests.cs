using System.Net;
using System.Text.Json;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// The seed workflow with a signed-in user: the history row, the alert and the report name the
/// person and the groups they had when they asked, and the history finds them by user name.
/// </summary>
public sealed class HistoryIdentityTests : IAsyncLifetime
{
    private const string User = "alice@CORP.EXAMPLE";
    private const string Password = "alice's password";
    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-history-identity", Guid.NewGuid().ToString("N"));
    private TestUpstream _upstream = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n");
        var usersFile = Path.Combine(_dir, "users.json");
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            var exit = UsersCommand.Run(["add", User, "--groups", "staff,devs", "--password-stdin", "--iterations", "10000", "--file", usersFile], new StringReader(Password + "\n"), output, error, interactive: false);
            Assert.True(exit == 0, error.ToString());
        }

        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _dns.A("good.test", "127.0.0.1").A("c2.test", "127.0.0.77");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", [
            "--Auth:Mode=basic", $"--Auth:UsersFile={usersFile}",
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Path.Combine(_dir, "c2.txt")}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            "--History:FlushInterval=00:00:00.100"]);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task HistoryConnections_SourceIsAUserName_RowsWithTheirGroups_AlertAndReportNameThem()
    {
        using (var client = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://127.0.0.1:{_proxy.Port}") { Credentials = new NetworkCredential(User, Password) },
            UseProxy = true,
        }) { Timeout = TimeSpan.FromSeconds(20) })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://good.test:{_upstream.Port}/hello")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://c2.test/gate")).StatusCode);
        }

        // The admin API: source = the user name.
        using var admin = _proxy.CreateAdminClient();
        var rows = await Eventually.ValueAsync(async () =>
            JsonSerializer.Deserialize<JsonElement[]>(await admin.GetStringAsync($"/history/connections?source={Uri.EscapeDataString(User)}")) is { Length: >= 2 } found ? found : null,
            "both requests in the history under the user's name");
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Equal(User, r.GetProperty("user").GetString()));
        Assert.All(rows, r => Assert.Equal(["staff", "devs"], r.GetProperty("groups").EnumerateArray().Select(g => g.GetString())));
        Assert.Empty(JsonSerializer.Deserialize<JsonElement[]>(await admin.GetStringAsync("/history/connections?source=bob%40CORP.EXAMPLE"))!);

        // The CLI, the same query as an operator types it.
        string[] cli = ["--admin", _proxy.AdminUrl, "--token", TestProxy.AdminToken];
        var table = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync(["connections", "--source", User, .. cli], report: false, table, TextWriter.Null));
        Assert.Matches(@"(?m)^TIME\s+COUNT\s+CLIENT\s+USER\s+GROUPS\s+METHOD\s+HOST\b", table.ToString());
        Assert.Matches(@"(?m)^\S+\s+1\s+127\.0\.0\.1\s+alice@CORP\.EXAMPLE\s+staff, devs\s+GET\s+c2\.test\s+80\s+127\.0\.0\.77\s+deny\s+feed:feodo\s+403\b", table.ToString());
        Assert.Matches(@"(?m)^\S+\s+1\s+127\.0\.0\.1\s+alice@CORP\.EXAMPLE\s+staff, devs\s+GET\s+good\.test\s+", table.ToString());

        // The alert: who to call, with the groups they had.
        var alert = Assert.Single(JsonSerializer.Deserialize<JsonElement[]>(await admin.GetStringAsync("/alerts"))!);
        Assert.Equal(User, alert.GetProperty("source").GetProperty("user").GetString());
        Assert.Equal(["staff", "devs"], alert.GetProperty("source").GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.StartsWith("127.0.0.1 (alice@CORP.EXAMPLE; groups staff, devs) tried c2.test:80", alert.GetProperty("summary").GetString());

        // The report: the top talker with user and groups, in the table and the CSV.
        var report = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync(["--since", "1h", .. cli], report: true, report, TextWriter.Null));
        Assert.Contains("Top talkers", report.ToString());
        Assert.Matches(@"(?m)^127\.0\.0\.1\s+alice@CORP\.EXAMPLE\s+staff, devs\s+1\s+1\s+feed:feodo\b", report.ToString());
        Assert.Contains("(alice@CORP.EXAMPLE; groups staff, devs) tried c2.test:80", report.ToString());
        var csv = new StringWriter();
        Assert.Equal(0, await HistoryCommand.RunAsync(["--since", "1h", "--format", "csv", .. cli], report: true, csv, TextWriter.Null));
        Assert.Contains("topTalkers,\"127.0.0.1 alice@CORP.EXAMPLE (staff, devs)\",1\n", csv.ToString());
    }
}
