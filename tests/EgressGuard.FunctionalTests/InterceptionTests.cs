using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EgressGuard.Cli;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;
using EgressGuard.Interception;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>TLS interception end to end on loopback: a real CA from <c>ca init</c>, real TLS upstreams, real clients.</summary>
public sealed class InterceptionTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-intercept-" + Guid.NewGuid().ToString("N"));
    private readonly TestDnsServer _dns = new();
    private readonly X509Certificate2 _upstreamCert = TestCertificates.Create("good.test", "files.test", "www.bank.test", "other.test");
    private readonly X509Certificate2 _untrustedCert = TestCertificates.Create("badcert.test");
    private TestUpstream _upstream = null!;
    private TestUpstream _badUpstream = null!;
    private X509Certificate2 _ca = null!;

    private string CaPem => Path.Combine(_dir, CaCommand.CertificateFile);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir, "--name", "EgressGuard Test Interception CA"], TextWriter.Null, TextWriter.Null));
        _ca = X509CertificateLoader.LoadCertificateFromFile(CaPem);
        File.WriteAllText(Path.Combine(_dir, "upstream-ca.pem"), _upstreamCert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "rules.json"), """
            {"rules":[
              {"id":"no-uploads","action":"deny","destinations":["files.test"],"paths":["/upload/*"],"comment":"DLP","alert":true},
              {"id":"pinned","action":"allow","destinations":["pinned.test"],"inspect":"never"}
            ]}
            """);
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback, 0, _upstreamCert);
        _badUpstream = await TestUpstream.StartAsync(IPAddress.Loopback, 0, _untrustedCert);
        foreach (var name in new[] { "good.test", "files.test", "www.bank.test", "other.test", "pinned.test", "badcert.test" })
        {
            _dns.A(name, "127.0.0.1");
        }
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        await _badUpstream.DisposeAsync();
        _dns.Dispose();
        _upstreamCert.Dispose();
        _untrustedCert.Dispose();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<TestProxy> StartAsync(string mode = "all", params string[] extra) =>
        TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "listed.test\n",
        [
            $"--Tls:InspectPorts:0={_upstream.Port}",
            $"--Tls:InspectPorts:1={_badUpstream.Port}",
            $"--Tls:Intercept:Mode={mode}",
            $"--Tls:Intercept:CaCertificate={CaPem}",
            $"--Tls:Intercept:CaKey={Path.Combine(_dir, CaCommand.KeyFile)}",
            $"--Tls:Intercept:UpstreamCaFile={Path.Combine(_dir, "upstream-ca.pem")}",
            "--Tls:Intercept:Bypass:0=*.bank.test",
            $"--Rules:File={Path.Combine(_dir, "rules.json")}",
            .. extra,
        ]);

    /// <summary>A client that trusts the interception CA only (as a managed workstation would), remembering what it saw.</summary>
    private HttpClient TrustingClient(TestProxy proxy, List<X509Certificate2>? seen = null) => proxy.CreateClient((_, cert, _, errors) =>
    {
        if (cert is null)
        {
            return false;
        }

        lock (seen ?? [])
        {
            seen?.Add(X509CertificateLoader.LoadCertificate(cert.RawData));
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && chain.Build(cert);
    });

    [Fact]
    public async Task Intercepted_HttpClientTrustingCa_ForwardedWithUrlLevelLines()
    {
        await using var proxy = await StartAsync();
        var seen = new List<X509Certificate2>();
        using (var client = TrustingClient(proxy, seen))
        {
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello?token=secret"));
        }

        // The client saw a leaf for the host, issued by the local CA, not the upstream's certificate.
        var leaf = Assert.Single(seen);
        Assert.Equal(_ca.Subject, leaf.Issuer);
        Assert.True(leaf.MatchesHostname("good.test"));
        Assert.NotEqual(_upstreamCert.Thumbprint, leaf.Thumbprint);

        var inner = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET" && l.Str("url.scheme") == "https");
        Assert.Equal("allow", inner.Str("egressguard.decision"));
        Assert.Equal("good.test", inner.Str("server.address"));
        Assert.Equal("/hello", inner.Str("url.path")); // the query is never logged
        Assert.Equal(200, inner.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal("inner", inner.Str("egressguard.tls.interception"));
        Assert.Equal("127.0.0.1", inner.Str("network.peer.address"));
        var tunnel = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "good.test");
        Assert.Equal("intercepted: all", tunnel.Str("egressguard.tls.interception"));
        Assert.Equal(tunnel.Str("trace_id"), inner.Str("egressguard.tunnel.trace_id"));
        Assert.DoesNotContain("secret", File.ReadAllText(proxy.DecisionLogPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Intercepted_LargeBodiesBothWays_Intact()
    {
        await using var proxy = await StartAsync();
        using var client = TrustingClient(proxy);
        var upload = new byte[8 * 1024 * 1024];
        Random.Shared.NextBytes(upload);
        using var response = await client.PostAsync($"https://good.test:{_upstream.Port}/echo-hash", new ByteArrayContent(upload));
        Assert.Equal($"{upload.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(upload))}", await response.Content.ReadAsStringAsync());
        var download = await client.GetByteArrayAsync($"https://good.test:{_upstream.Port}/big?mb=8");
        Assert.Equal(8 * 1024 * 1024, download.Length);
        Assert.All(download.Take(4096), b => Assert.Equal((byte)'x', b));
    }

    [Fact]
    public async Task Intercepted_WebSocket_Echoed()
    {
        await using var proxy = await StartAsync();
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.Proxy = new WebProxy(proxy.Url);
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && c.Issuer == _ca.Subject;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new Uri($"wss://good.test:{_upstream.Port}/ws"), timeout.Token);
        await socket.SendAsync("ping"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, received.Count));
        var closing = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Close, closing.MessageType);
        await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
    }

    [Fact]
    public async Task Stop_LiveInterceptedWebSocket_ClosedWithinDrain()
    {
        var proxy = await StartAsync();
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.Proxy = new WebProxy(proxy.Url);
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && c.Issuer == _ca.Subject;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new Uri($"wss://good.test:{_upstream.Port}/ws"), timeout.Token);

        // A live upgraded connection inside a decrypted tunnel does not hold the shutdown past the drain time (1 s here).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await proxy.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"stop took {clock.Elapsed}");
    }

    [Fact]
    public async Task Intercepted_SecondConnection_SameLeafOneMint()
    {
        await using var proxy = await StartAsync();
        var seen = new List<X509Certificate2>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var client = TrustingClient(proxy, seen); // a client each: a connection (and handshake) each
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));
        }));
        using (var again = TrustingClient(proxy, seen))
        {
            await again.GetStringAsync($"https://good.test:{_upstream.Port}/hello");
        }

        Assert.Equal(9, seen.Count);
        Assert.Single(seen.Select(c => c.Thumbprint).Distinct());
        Assert.Equal(1, proxy.Services.GetRequiredService<TlsInterceptor>().Authority!.Minted);
        using var admin = proxy.CreateAdminClient();
        var status = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"{proxy.AdminUrl}/status")).RootElement.GetProperty("interception");
        Assert.Equal("all", status.GetProperty("mode").GetString());
        Assert.Equal(1, status.GetProperty("certificatesMinted").GetInt64());
    }

    [ClientFact("curl", "apt-get install curl")]
    public async Task Intercepted_CurlWithCacert_Works()
    {
        await using var proxy = await StartAsync();
        var (exit, output, error) = await Curl.RunAsync(["-x", proxy.Url, "--cacert", CaPem, $"https://good.test:{_upstream.Port}/hello"]);
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);

        // Without the CA, curl refuses the minted certificate: nothing is sent in the clear.
        var (refusedExit, _, refusedError) = await Curl.RunAsync(["-x", proxy.Url, $"https://good.test:{_upstream.Port}/hello"]);
        Assert.Equal(60, refusedExit); // CURLE_PEER_FAILED_VERIFICATION
        Assert.Contains("certificate", refusedError, StringComparison.OrdinalIgnoreCase);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("error.type") == "tls-client-handshake");
        Assert.Equal("good.test", line.Str("server.address"));
    }

    [ClientFact("curl", "apt-get install curl")]
    public async Task Intercepted_OverHttpsProxyWithClientCertificate_InnerRequestsCarryIdentity()
    {
        // The Kestrel-listener path: TLS to the proxy, CONNECT in the connection middleware, then the inner TLS.
        var certs = TestCertificates.WriteMtlsSet(Path.Combine(_dir, "mtls"), "build-agent-9");
        await using var proxy = await StartAsync("all",
            $"--Proxy:Tls:Certificate={certs.ServerCert}", $"--Proxy:Tls:Key={certs.ServerKey}",
            "--Proxy:Tls:ClientCertificates=required", $"--Proxy:Tls:ClientCa={certs.Ca}");
        var (exit, output, error) = await Curl.RunAsync(
        [
            "--proxy", $"https://127.0.0.1:{proxy.Port}", "--proxy-cacert", certs.Ca, "--proxy-cert", certs.ClientCert, "--proxy-key", certs.ClientKey,
            "--cacert", CaPem, $"https://good.test:{_upstream.Port}/hello",
        ]);
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);
        var inner = await proxy.WaitForDecisionAsync(l => l.Str("url.scheme") == "https" && l.Str("url.path") == "/hello");
        Assert.Equal("build-agent-9", inner.Str("enduser.id"));
        var tunnel = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT");
        Assert.Equal("intercepted: all", tunnel.Str("egressguard.tls.interception"));
    }

    [Fact]
    public async Task Intercepted_UpstreamWithUntrustedCertificate_502WithReason()
    {
        await using var proxy = await StartAsync();
        using var client = TrustingClient(proxy);
        using var response = await client.GetAsync($"https://badcert.test:{_badUpstream.Port}/hello");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("TLS certificate was refused", body, StringComparison.Ordinal);
        Assert.Contains("upstream-tls", response.Headers.GetValues("X-EgressGuard-Error"));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET" && l.Str("server.address") == "badcert.test");
        Assert.Equal("upstream-tls", line.Str("error.type"));
        Assert.Equal(502, line.GetProperty("http.response.status_code").GetInt32());
    }

    [Fact]
    public async Task Bypassed_Host_TunnelledUntouched()
    {
        await using var proxy = await StartAsync();
        var upstreamThumbprint = _upstreamCert.Thumbprint;
        string? seen = null;
        using (var client = proxy.CreateClient((_, cert, _, _) => (seen = cert?.Thumbprint) == upstreamThumbprint))
        {
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://www.bank.test:{_upstream.Port}/hello"));
        }

        Assert.Equal(upstreamThumbprint, seen); // the upstream's own certificate, end to end
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "www.bank.test");
        Assert.Equal("not intercepted: bypass *.bank.test", line.Str("egressguard.tls.interception"));
        Assert.DoesNotContain(proxy.ReadDecisions(), l => l.Str("url.scheme") == "https");
    }

    [Fact]
    public async Task InspectNeverRule_TunnelledUntouched()
    {
        await using var proxy = await StartAsync();
        var upstreamThumbprint = _upstreamCert.Thumbprint;
        using (var client = proxy.CreateClient((_, cert, _, _) => cert?.Thumbprint == upstreamThumbprint))
        {
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://pinned.test:{_upstream.Port}/hello"));
        }
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "pinned.test");
        Assert.Equal("not intercepted: rule:pinned inspect never", line.Str("egressguard.tls.interception"));
    }

    [Fact]
    public async Task PathRule_InnerRequest_403InsideTunnelOthersPass()
    {
        // Mode "rules": only tunnels a rule asks for are decrypted, here files.test for its path rule.
        await using var proxy = await StartAsync("rules");
        var client = TrustingClient(proxy);
        using (var denied = await client.GetAsync($"https://files.test:{_upstream.Port}/Upload/report.xlsx"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Contains("rule:no-uploads", denied.Headers.GetValues("X-EgressGuard-Rule"));
            Assert.Contains("DLP", await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://files.test:{_upstream.Port}/hello"));

        // A browser gets the block page, inside the tunnel.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://files.test:{_upstream.Port}/upload/x");
        request.Headers.Accept.ParseAdd("text/html");
        using var page = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"https://files.test:{_upstream.Port}/upload/x", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        client.Dispose(); // the tunnel's line is written when it ends

        var line = await proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/Upload/report.xlsx");
        Assert.Equal("deny", line.Str("egressguard.decision"));
        Assert.Equal("/upload/*", line.Str("egressguard.entry"));

        // "alert": true on a path rule raises an alert for the request inside the tunnel, as for any deny.
        using var admin = proxy.CreateAdminClient();
        var alerts = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"{proxy.AdminUrl}/alerts")).RootElement;
        var alert = Assert.Single(alerts.EnumerateArray());
        Assert.Equal("rule:no-uploads", alert.GetProperty("rule").GetString());
        var tunnel = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "files.test");
        Assert.Equal("intercepted: path rule rule:no-uploads", tunnel.Str("egressguard.tls.interception"));
    }

    [Fact]
    public async Task RulesMode_HostWithoutRule_NotIntercepted()
    {
        await using var proxy = await StartAsync("rules");
        var upstreamThumbprint = _upstreamCert.Thumbprint;
        using (var client = proxy.CreateClient((_, cert, _, _) => cert?.Thumbprint == upstreamThumbprint))
        {
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));
        }
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "good.test");
        Assert.Equal("not intercepted: no rule asks", line.Str("egressguard.tls.interception"));
    }

    /// <summary>CONNECT, TLS with the minted certificate (SNI <paramref name="sni"/>), one raw request; returns the response head and body start.</summary>
    private async Task<string> InnerRawAsync(TestProxy proxy, string connectHost, string request, string? sni = null, TimeSpan? pause = null)
    {
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT {connectHost}:{_upstream.Port} HTTP/1.1\r\nHost: {connectHost}:{_upstream.Port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        await using var tls = new SslStream(new NetworkStream(raw.Socket, ownsSocket: false), false, (_, cert, _, _) => cert is X509Certificate2 c && c.Issuer == _ca.Subject);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = sni ?? connectHost, ApplicationProtocols = [SslApplicationProtocol.Http11] }).WaitAsync(TimeSpan.FromSeconds(10));
        if (pause is { } wait)
        {
            await Task.Delay(wait); // a browser's preconnect: the first request comes later
        }

        await tls.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[8192];
        var read = await tls.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Fact]
    public async Task InnerHost_OtherThanConnect_421()
    {
        await using var proxy = await StartAsync();
        var response = await InnerRawAsync(proxy, "good.test", "GET /hello HTTP/1.1\r\nHost: other.test\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 421", response, StringComparison.Ordinal);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("egressguard.reason") == "host-mismatch");
        Assert.Equal("other.test", line.Str("egressguard.entry"));
    }

    [Theory]
    [InlineData("/upload%2Fa", "403")]
    [InlineData("/%75pload/a", "403")]
    [InlineData("//upload//a", "403")]
    [InlineData("/upload./a", "403")]
    [InlineData("/x/../upload/a", "403")]
    [InlineData("/x/..%2Fupload/b", "400")] // a dot segment only for some servers: refused, not guessed
    [InlineData("/a;x=1/..;/upload/a", "400")]
    [InlineData("/upload/report.txt/..;", "400")]
    [InlineData("/foo/..%20/upload/x", "400")]
    public async Task PathRule_EncodedPath_DeniedOrRefused(string path, string status)
    {
        await using var proxy = await StartAsync("rules");
        var before = _upstream.Connections;
        var response = await InnerRawAsync(proxy, "files.test", $"GET {path} HTTP/1.1\r\nHost: files.test:{_upstream.Port}\r\n\r\n");
        Assert.StartsWith($"HTTP/1.1 {status}", response, StringComparison.Ordinal);
        if (status == "403")
        {
            Assert.Contains("X-EgressGuard-Rule: rule:no-uploads", response, StringComparison.Ordinal);
        }

        Assert.Equal(before + 1, _upstream.Connections); // only the CONNECT's dial: nothing was sent upstream on it
    }

    [Theory]
    [InlineData("GET https://files.test:{port}/upload/a HTTP/1.1\r\nHost: files.test:{port}\r\n\r\n", "origin-form")]
    [InlineData("GET /a%0d%0aPOST%20/upload/c HTTP/1.1\r\nHost: files.test:{port}\r\n\r\n", "control characters")]
    [InlineData("GET /x#/../upload/file HTTP/1.1\r\nHost: files.test:{port}\r\n\r\n", "no fragment")]
    [InlineData("TRACE /hello HTTP/1.1\r\nHost: files.test:{port}\r\nCookie: secret\r\n\r\n", "TRACE is not proxied")]
    public async Task Inner_AbsoluteFormOrControlCharacters_400NeverForwarded(string request, string reason)
    {
        await using var proxy = await StartAsync("rules");
        var before = _upstream.Connections;
        var response = await InnerRawAsync(proxy, "files.test", request.Replace("{port}", _upstream.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains(reason, response, StringComparison.Ordinal);
        Assert.Equal(before + 1, _upstream.Connections); // the CONNECT's own dial, nothing sent on it
    }

    [Theory]
    [InlineData("/upload/a", "403")]
    [InlineData("/x/..%2Fupload/b", "400")]
    [InlineData("/UPLOAD%2fa", "403")]
    [InlineData("/hello", "200")]
    [InlineData("/a%0d%0aPOST", "400")]
    [InlineData("/a\tb", "400")]
    public async Task PathRule_PlainHttp_DecidedOnWidestReading(string path, string status)
    {
        await using var plain = await TestUpstream.StartAsync(IPAddress.Loopback);
        await using var proxy = await StartAsync("off");
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"GET http://files.test:{plain.Port}{path} HTTP/1.1\r\nHost: files.test:{plain.Port}\r\n\r\n");
        Assert.StartsWith($"HTTP/1.1 {status}", (await raw.ReadHeadAsync()).Head);
    }

    [Fact]
    public async Task SpoofedSniOnBypassList_StillIntercepted()
    {
        // CONNECT files.test with SNI www.bank.test (on the bypass list): the SNI cannot switch inspection off.
        await using var proxy = await StartAsync("rules");
        var response = await InnerRawAsync(proxy, "files.test", $"GET /upload/a HTTP/1.1\r\nHost: files.test:{_upstream.Port}\r\n\r\n", sni: "www.bank.test");
        Assert.StartsWith("HTTP/1.1 403", response, StringComparison.Ordinal);
        var tunnel = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "files.test");
        Assert.Equal("intercepted: path rule rule:no-uploads", tunnel.Str("egressguard.tls.interception"));
    }

    [Fact]
    public async Task Intercepted_TwoTunnels_OwnUpstreamConnectionsUsingTheConnectSocket()
    {
        await using var proxy = await StartAsync();
        var before = _upstream.Connections;
        for (var i = 0; i < 2; i++)
        {
            using var client = TrustingClient(proxy); // a client each: one tunnel each
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));
        }

        // One upstream connection per tunnel, the one its CONNECT dialled: not shared, not dialled twice.
        Assert.Equal(before + 2, _upstream.Connections);
    }

    [Fact]
    public async Task Intercepted_ClientWaitsBeforeHandshake_FreshUpstreamConnection()
    {
        await using var proxy = await StartAsync();
        var before = _upstream.Connections;
        var response = await InnerRawAsync(proxy, "good.test", $"GET /hello HTTP/1.1\r\nHost: good.test:{_upstream.Port}\r\n\r\n", pause: Dialing.PreDialedSocket.MaxIdle + TimeSpan.FromMilliseconds(500));
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Equal(before + 2, _upstream.Connections); // the CONNECT's socket was too old to trust: dialled again
    }

    [Fact]
    public async Task Intercepted_PolicyDeniesHostLater_TunnelClosed()
    {
        await using var proxy = await StartAsync();
        using var client = TrustingClient(proxy);
        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));

        // An admin denies the host: the live decrypted tunnel is cut like a blind one.
        File.WriteAllText(Path.Combine(_dir, "rules.json"), """{"rules":[{"id":"cut","action":"deny","destinations":["good.test"]}]}""");
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "good.test", TimeSpan.FromSeconds(15));
        Assert.Equal("policy-changed", line.Str("error.type"));
    }

    [Fact]
    public async Task BlindTunnel_HostNowToBeInspected_ClosedThenReconnectsIntercepted()
    {
        await using var proxy = await StartAsync("rules");
        var upstreamThumbprint = _upstreamCert.Thumbprint;
        var issuers = new List<string>();
        using var client = proxy.CreateClient((_, cert, _, _) =>
        {
            lock (issuers)
            {
                issuers.Add(cert!.Issuer);
            }

            return cert.Thumbprint == upstreamThumbprint || cert.Issuer == _ca.Subject;
        });
        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));

        // During an incident an admin asks for good.test to be decrypted: the live blind tunnel is cut...
        File.WriteAllText(Path.Combine(_dir, "rules.json"), """{"rules":[{"id":"watch","action":"allow","destinations":["good.test"],"inspect":"always"}]}""");
        var closed = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("error.type") == "policy-changed", TimeSpan.FromSeconds(15));
        Assert.Equal("inspect-required", closed.Str("egressguard.closed_by.reason"));
        Assert.Equal("rule:watch", closed.Str("egressguard.closed_by.rule"));

        // ...and the client's next request comes through interception.
        Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_upstream.Port}/hello"));
        Assert.Equal(_ca.Subject, issuers[^1]);
        await proxy.WaitForDecisionAsync(l => l.Str("url.scheme") == "https" && l.Str("url.path") == "/hello");
    }

    [Fact]
    public async Task Start_PathRulesWithInterceptionOff_Warned()
    {
        await using var proxy = await StartAsync("off");
        Assert.Contains(proxy.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Rules with paths apply to plain http:// requests only", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_CaExpiringSoon_Warned()
    {
        var soon = Path.Combine(_dir, "soon");
        Assert.Equal(0, CaCommand.Run(["init", "--out", soon, "--days", "10"], TextWriter.Null, TextWriter.Null));
        await using var proxy = await StartAsync("all",
            $"--Tls:Intercept:CaCertificate={Path.Combine(soon, CaCommand.CertificateFile)}", $"--Tls:Intercept:CaKey={Path.Combine(soon, CaCommand.KeyFile)}");
        Assert.Contains(proxy.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("The interception CA expires", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Contains("Rules with paths apply to plain http://", StringComparison.Ordinal));
    }

    [Fact]
    public void Start_BadInterceptSettings_EveryErrorListed()
    {
        var config = Path.Combine(_dir, "empty.json");
        File.WriteAllText(config, "{}");
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(
        [
            "--config", config, "--Tls:Intercept:LeafLifetime=400.00:00:00", "--Tls:Intercept:CacheSize=0",
            "--Tls:Intercept:Bypass:0=ok.test", "--Tls:Intercept:Bypass:1=bad..name", $"--Tls:Intercept:UpstreamCaFile={Path.Combine(_dir, "missing.pem")}",
        ]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Tls:Intercept:LeafLifetime = '400.00:00:00'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Tls:Intercept:CacheSize = '0'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Tls:Intercept:Bypass[1] = 'bad..name'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Tls:Intercept:UpstreamCaFile:", StringComparison.Ordinal) && e.Contains("not found", StringComparison.Ordinal));

        var mode = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Tls:Intercept:Mode=everything"]));
        Assert.Contains(mode.Errors, e => e.StartsWith("Tls:Intercept:Mode = 'everything': expected off, rules or all", StringComparison.Ordinal));
    }

    [Fact]
    public void Start_InterceptWithoutCa_RefusedWithHowTo()
    {
        var config = Path.Combine(_dir, "empty.json");
        File.WriteAllText(config, "{}");
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Tls:Intercept:Mode=all", $"--Tls:Intercept:CaCertificate={Path.Combine(_dir, "none.pem")}"]));
        Assert.Contains("EgressGuard ca init", ex.Message, StringComparison.Ordinal);
    }
}
