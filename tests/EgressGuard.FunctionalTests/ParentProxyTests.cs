using System.Net;
using System.Text;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// <c>Upstream:Proxy</c>: allowed exchanges dialled through a real parent proxy on 127.0.0.1
/// (<see cref="TestParentProxy"/>); the decision stays here, the parent gets the checked address.
/// </summary>
public sealed class ParentProxyTests : IAsyncLifetime
{
    private const string Credentials = "egress:s3cret pass";

    private readonly TestDnsServer _dns = new();
    private readonly TestParentProxy _parent = new();
    private readonly List<TestProxy> _proxies = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        _parent.Dispose();
        _dns.Dispose();
    }

    private async Task<TestProxy> StartAsync(params string[] overrides)
    {
        var credentials = Path.Combine(Path.GetTempPath(), $"egressguard-parent-{Guid.NewGuid():N}.txt");
        File.WriteAllText(credentials, Credentials + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var proxy = await TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "",
            [$"--Upstream:Proxy={_parent.Endpoint}", $"--Upstream:ProxyCredentialsFile={credentials}", .. overrides]);
        _proxies.Add(proxy);
        return proxy;
    }

    private static string ExpectedAuthorization => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Credentials));

    [Fact]
    public async Task Connect_WithParent_ReachesBackendThroughParentWithApprovedAddressAndCredentials()
    {
        var proxy = await StartAsync();
        using var echo = new TcpTestServer(IPAddress.Loopback);
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\nearly");
            var (head, after) = await raw.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 200", head);
            await raw.SendAsync(" and later");
            var echoed = after.Length >= 15 ? after : [.. after, .. await raw.ReadExactlyAsync(15 - after.Length)];
            Assert.Equal("early and later", Encoding.ASCII.GetString(echoed));
        }

        Assert.Equal([$"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1"], _parent.RequestLines);
        Assert.Equal([ExpectedAuthorization], _parent.Authorizations);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.Equal(_parent.Endpoint, line.Str("egressguard.upstream"));
        Assert.Equal(OperatingSystem.IsLinux() ? "splice" : "copy", line.Str("egressguard.tunnel.relay"));
        Assert.Equal(15, line.GetProperty("egressguard.bytes_down").GetInt64());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_BannerInSameSegmentAsParentReply_NotLost(bool splice)
    {
        _parent.CoalesceFirstBytes = true;
        var proxy = await StartAsync($"--Proxy:Splice={splice}");
        using var server = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var socket = await server.AcceptSocketAsync();
            await socket.SendAsync("220 banner\r\n"u8.ToArray());
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer);
            await socket.SendAsync(buffer.AsMemory(0, read)); // and then an echo
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        });

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n");
            var (head, after) = await raw.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 200", head);
            var banner = after.Length >= 12 ? after : [.. after, .. await raw.ReadExactlyAsync(12 - after.Length)];
            Assert.Equal("220 banner\r\n", Encoding.ASCII.GetString(banner));
            await raw.SendAsync("QUIT");
            Assert.Equal("QUIT", Encoding.ASCII.GetString(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10))));
        }

        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == port);
        Assert.Equal(splice && OperatingSystem.IsLinux() ? "splice" : "copy", line.Str("egressguard.tunnel.relay"));
        Assert.Equal(16, line.GetProperty("egressguard.bytes_down").GetInt64());
    }

    [Fact]
    public async Task Connect_DeniedDestination_NeverReachesParent()
    {
        var proxy = await StartAsync();
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync("CONNECT 127.0.0.66:443 HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "127.0.0.66");
        Assert.Equal("deny", line.Str("egressguard.decision"));
        Assert.False(line.TryGetProperty("egressguard.upstream", out _), "nothing was dialled");
        Assert.Empty(_parent.RequestLines);
    }

    [Fact]
    public async Task Forward_AbsoluteFormHttp_GoesThroughParent()
    {
        var proxy = await StartAsync();
        await using var upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        using var client = proxy.CreateClient();
        var response = await client.GetAsync($"http://127.0.0.1:{upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello from 127.0.0.1", await response.Content.ReadAsStringAsync());

        Assert.Equal([$"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1"], _parent.RequestLines);
        Assert.Equal([ExpectedAuthorization], _parent.Authorizations);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET" && l.GetProperty("server.port").GetInt32() == upstream.Port);
        Assert.Equal(_parent.Endpoint, line.Str("egressguard.upstream"));
    }

    [Fact]
    public async Task Connect_DirectDestination_BypassesParent()
    {
        var proxy = await StartAsync("--Upstream:Direct:0=127.0.0.1/32");
        using var echo = new TcpTestServer(IPAddress.Loopback);
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\nping");
            var (head, after) = await raw.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 200", head);
            var echoed = after.Length >= 4 ? after : [.. after, .. await raw.ReadExactlyAsync(4 - after.Length)];
            Assert.Equal("ping", Encoding.ASCII.GetString(echoed));
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal("direct", line.Str("egressguard.upstream"));
        Assert.Empty(_parent.RequestLines);
    }

    [Fact]
    public async Task Forward_DirectDomainSuffix_BypassesParentWhileOtherNamesUseIt()
    {
        _dns.A("app.corp.test", "127.0.0.1").A("www.public.test", "127.0.0.1");
        var proxy = await StartAsync("--Upstream:Direct:0=.corp.test");
        await using var upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        using var client = proxy.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://app.corp.test:{upstream.Port}/hello")).StatusCode);
        Assert.Empty(_parent.RequestLines);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://www.public.test:{upstream.Port}/hello")).StatusCode);
        Assert.Equal([$"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1"], _parent.RequestLines);

        var direct = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "app.corp.test");
        Assert.Equal("direct", direct.Str("egressguard.upstream"));
        var parented = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "www.public.test");
        Assert.Equal(_parent.Endpoint, parented.Str("egressguard.upstream"));
    }

    [Fact]
    public async Task Connect_ParentRefuses_502ParentRefusedWithItsStatus()
    {
        _parent.RefuseWith = 403;
        var proxy = await StartAsync();
        using var echo = new TcpTestServer(IPAddress.Loopback);
        string head;
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
            head = (await raw.ReadHeadAsync()).Head;
        }

        Assert.StartsWith("HTTP/1.1 502", head);
        Assert.Contains("X-EgressGuard-Error: parent-refused", head);
        Assert.Equal(0, echo.Connections);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal("parent-refused", line.Str("error.type"));
        Assert.Equal(502, line.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal(_parent.Endpoint, line.Str("egressguard.upstream"));
    }

    [Fact]
    public async Task Forward_ParentRefuses_502WithItsStatusInTheBody()
    {
        _parent.RefuseWith = 407;
        var proxy = await StartAsync();
        await using var upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        using var client = proxy.CreateClient();
        var response = await client.GetAsync($"http://127.0.0.1:{upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("parent-refused", response.Headers.GetValues("X-EgressGuard-Error").Single());
        Assert.Contains("407 Refused By Parent", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Connect_ParentUnreachable_502ParentUnreachable()
    {
        int closedPort;
        using (var parked = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            parked.Start();
            closedPort = ((IPEndPoint)parked.LocalEndpoint).Port;
        }

        var proxy = await StartAsync($"--Upstream:Proxy=127.0.0.1:{closedPort}");
        using var echo = new TcpTestServer(IPAddress.Loopback);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
        var head = (await raw.ReadHeadAsync()).Head;
        Assert.StartsWith("HTTP/1.1 502", head);
        Assert.Contains("X-EgressGuard-Error: parent-unreachable", head);
    }

    [Fact]
    public async Task ParentNotSpeakingHttp_NameWithTwoAddresses_OneAttemptEach502ParentUnreachable()
    {
        _dns.A("two.public.test", "127.0.0.1").A("two.public.test", "127.0.0.2");
        using var echoingParent = new TcpTestServer(IPAddress.Loopback); // answers the CONNECT with the CONNECT: not HTTP
        var proxy = await StartAsync($"--Upstream:Proxy=127.0.0.1:{echoingParent.Port}");
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync("CONNECT two.public.test:443 HTTP/1.1\r\n\r\n");
            var head = (await raw.ReadHeadAsync()).Head;
            Assert.StartsWith("HTTP/1.1 502", head);
            Assert.Contains("X-EgressGuard-Error: parent-unreachable", head);
        }

        Assert.Equal(1, echoingParent.Connections);
        using var client = proxy.CreateClient();
        var response = await client.GetAsync("http://two.public.test:8080/hello");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("parent-unreachable", response.Headers.GetValues("X-EgressGuard-Error").Single());
        Assert.Equal(2, echoingParent.Connections);
    }

    [Theory]
    [InlineData("https://proxy.example:3128")]
    [InlineData("proxy.example")]
    [InlineData("user:pw@10.0.0.1:3128")]
    [InlineData("10.0.0.1:70000")]
    public void Build_BadUpstreamProxy_StartStopsNamingTheKey(string value)
    {
        var config = Path.Combine(Path.GetTempPath(), $"egressguard-parent-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{}");
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, $"--Upstream:Proxy={value}"]));
        Assert.Contains(ex.Errors, e => e.StartsWith($"Upstream:Proxy = '{value}'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_ParentGivenByHostName_ResolvedAtStartAndUsed()
    {
        var proxy = await StartAsync($"--Upstream:Proxy=localhost:{_parent.Port}");
        using var echo = new TcpTestServer(IPAddress.Loopback);
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        }

        Assert.Equal([$"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1"], _parent.RequestLines);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.GetProperty("server.port").GetInt32() == echo.Port);
        Assert.Equal($"localhost:{_parent.Port}", line.Str("egressguard.upstream"));
    }

    [Fact]
    public void Build_BadDirectEntryOrDirectWithoutParent_StartStopsNamingTheKey()
    {
        var config = Path.Combine(Path.GetTempPath(), $"egressguard-parent-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{}");
        var bad = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Upstream:Proxy=127.0.0.1:3128", "--Upstream:Direct:0=not a host/99"]));
        Assert.Contains(bad.Errors, e => e.StartsWith("Upstream:Direct:0 = 'not a host/99'", StringComparison.Ordinal));
        var orphan = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Upstream:Direct:0=10.0.0.0/8"]));
        Assert.Contains(orphan.Errors, e => e.StartsWith("Upstream:ProxyCredentialsFile and Upstream:Direct need Upstream:Proxy", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_CredentialsFileReadableByOthers_StartStops()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var config = Path.Combine(Path.GetTempPath(), $"egressguard-parent-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{}");
        var credentials = config + ".credentials";
        File.WriteAllText(credentials, Credentials);
        File.SetUnixFileMode(credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Upstream:Proxy=127.0.0.1:3128", $"--Upstream:ProxyCredentialsFile={credentials}"]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Upstream:ProxyCredentialsFile", StringComparison.Ordinal) && e.Contains("0644", StringComparison.Ordinal) && !e.Contains("s3cret", StringComparison.Ordinal));
    }
}
