using System.Net;
using System.Text;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Who may use the proxy: trusted ranges, proxy authentication, throttling; over real sockets.</summary>
public sealed class IdentityTests : IAsyncLifetime
{
    private const string AlicePassword = "correct horse battery staple";
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _target = new(IPAddress.Parse("127.0.0.90"));
    private TestUpstream _upstream = null!;
    private string _usersFile = null!;

    public async Task InitializeAsync()
    {
        _dns.A("app.test", "127.0.0.90").A("good.test", "127.0.0.1");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _usersFile = Path.Combine(Path.GetTempPath(), "egressguard-tests", "users-" + Guid.NewGuid().ToString("N") + ".json");
        AddUser("alice", AlicePassword, "staff");
        AddUser("bob", "bobs password", "contractors");
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _target.Dispose();
        _dns.Dispose();
    }

    private void AddUser(string name, string password, string groups)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = UsersCommand.Run(["add", name, "--groups", groups, "--password-stdin", "--iterations", "10000", "--file", _usersFile], new StringReader(password + "\n"), output, error, interactive: false);
        Assert.True(exit == 0, error.ToString());
    }

    private Task<TestProxy> StartAsync(params string[] extra) =>
        TestProxy.StartAsync(_dns.Endpoint, "", "", ["--Auth:Mode=basic", $"--Auth:UsersFile={_usersFile}", "--Auth:MaxFailures=3", .. extra]);

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static async Task<string> ConnectAsync(TestProxy proxy, string target, string? authorization)
    {
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT {target} HTTP/1.1\r\n" + (authorization is null ? string.Empty : $"Proxy-Authorization: {authorization}\r\n") + "\r\n");
        return (await raw.ReadHeadAsync()).Head;
    }

    [Fact]
    public void UsersFile_HoldsOnlyHashes()
    {
        var text = File.ReadAllText(_usersFile);
        Assert.DoesNotContain(AlicePassword, text);
        Assert.Contains("pbkdf2-sha256$10000$", text);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_usersFile));
        }
    }

    [Fact]
    public async Task Connect_NoOrWrongCredentials_407WithChallenge_RightGoesThrough()
    {
        await using var proxy = await StartAsync();
        var none = await ConnectAsync(proxy, $"app.test:{_target.Port}", null);
        Assert.StartsWith("HTTP/1.1 407 Proxy Authentication Required", none);
        Assert.Contains("Proxy-Authenticate: Basic realm=\"EgressGuard\"", none);

        Assert.StartsWith("HTTP/1.1 407", await ConnectAsync(proxy, $"app.test:{_target.Port}", Basic("alice", "wrong")));
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync(proxy, $"app.test:{_target.Port}", Basic("alice", AlicePassword)));

        var line = await proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "alice");
        Assert.Equal("staff", line.GetProperty("egressguard.groups")[0].GetString());
        Assert.Equal(0, _target.Connections - 1);
    }

    [Fact]
    public async Task Forward_Authenticated_HeaderNeverForwardedNorLogged()
    {
        await using var proxy = await StartAsync();
        using var client = new HttpClient(new HttpClientHandler { Proxy = new WebProxy(proxy.Url) { Credentials = new NetworkCredential("alice", AlicePassword) }, UseProxy = true });
        var text = await client.GetStringAsync($"http://good.test:{_upstream.Port}/headers");
        Assert.DoesNotContain("Proxy-Authorization", text, StringComparison.OrdinalIgnoreCase);

        var header = Basic("alice", AlicePassword);
        var decisions = File.ReadAllText(proxy.DecisionLogPath);
        var logs = string.Join("\n", proxy.Logs.Lines);
        foreach (var secret in new[] { AlicePassword, header, header["Basic ".Length..] })
        {
            Assert.DoesNotContain(secret, decisions);
            Assert.DoesNotContain(secret, logs);
        }

        await proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "alice" && l.Str("http.request.method") == "GET");
    }

    [Fact]
    public async Task Forward_NoCredentials_407Challenge()
    {
        await using var proxy = await StartAsync();
        using var client = proxy.CreateClient();
        var response = await client.GetAsync($"http://good.test:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, response.StatusCode);
        Assert.Equal("Basic", response.Headers.ProxyAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task RepeatedFailures_Throttled429_EvenWithRightPassword()
    {
        await using var proxy = await StartAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith("HTTP/1.1 407", await ConnectAsync(proxy, $"app.test:{_target.Port}", Basic("alice", "guess" + i)));
        }

        Assert.StartsWith("HTTP/1.1 429", await ConnectAsync(proxy, $"app.test:{_target.Port}", Basic("alice", AlicePassword)));
    }

    [Fact]
    public async Task GroupScopedRule_AppliesToAuthenticatedGroup()
    {
        await using var proxy = await StartAsync();
        File.WriteAllText(Path.Combine(proxy.Directory, "rules.json"), """{"rules":[{"id":"contractors-no-app","action":"deny","destinations":["app.test"],"groups":["contractors"]}]}""");
        using var admin = proxy.CreateAdminClient();
        await WaitUntilAsync(async () => (await admin.GetStringAsync("/rules")).Contains("contractors-no-app", StringComparison.Ordinal));

        var bob = await ConnectAsync(proxy, $"app.test:{_target.Port}", Basic("bob", "bobs password"));
        Assert.StartsWith("HTTP/1.1 403", bob);
        Assert.Contains("X-EgressGuard-Rule: rule:contractors-no-app", bob);
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync(proxy, $"app.test:{_target.Port}", Basic("alice", AlicePassword)));
    }

    [Fact]
    public async Task UntrustedClient_403BeforeAnything()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:TrustedClients:0=192.0.2.0/24");
        var head = await ConnectAsync(proxy, $"app.test:{_target.Port}", null);
        Assert.StartsWith("HTTP/1.1 403", head);
        Assert.Contains("X-EgressGuard-Reason: untrusted-client", head);
        using var client = proxy.CreateClient();
        var response = await client.GetAsync($"http://good.test:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, _target.Connections);
        await proxy.WaitForDecisionAsync(l => l.Str("error.type") == "untrusted-client");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(50);
        }
    }
}
