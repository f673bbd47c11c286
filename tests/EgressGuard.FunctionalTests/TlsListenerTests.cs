using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Proxy;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// <c>Proxy:Listen</c> with a plain entry and an entry with its own TLS (an HTTPS proxy listener:
/// the client speaks TLS to the proxy) side by side, driven by real curl. The certificates are made
/// at test time.
/// </summary>
public sealed class TlsListenerTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "tls-listen-" + Guid.NewGuid().ToString("N"));
    private TestUpstream _upstream = null!;
    private TestProxy _proxy = null!;
    private string _ca = null!;
    private int _plainPort;
    private int _tlsPort;

    public async Task InitializeAsync()
    {
        _dns.A("good.test", "127.0.0.1");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        var certs = TestCertificates.WriteMtlsSet(_dir, "unused-client");
        _ca = certs.Ca;
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "",
            // Two addresses: two port-0 entries on one address count as the same entry. The TLS one is on
            // 127.0.0.1, the address its certificate names.
            "--Proxy:Listen:0=127.0.0.2:0",
            "--Proxy:Listen:1:Address=127.0.0.1:0", $"--Proxy:Listen:1:Tls:Certificate={certs.ServerCert}", $"--Proxy:Listen:1:Tls:Key={certs.ServerKey}");
        var listeners = _proxy.Services.GetRequiredService<ProxyListeners>();
        (_plainPort, _tlsPort) = (listeners.BoundEndpoint(0).Port, listeners.BoundEndpoint(1).Port);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Listen_PlainAndTlsEntries_ForwardAndConnectThroughEach()
    {
        // The HTTPS proxy entry: TLS to the proxy, then an absolute-form GET and a CONNECT inside it.
        var (exit, output, error) = await Curl.RunAsync(["--proxy", $"https://127.0.0.1:{_tlsPort}", "--proxy-cacert", _ca, $"http://good.test:{_upstream.Port}/hello"]);
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);
        (exit, output, error) = await Curl.RunAsync(["--proxy", $"https://127.0.0.1:{_tlsPort}", "--proxy-cacert", _ca, "-p", $"http://good.test:{_upstream.Port}/hello"]);
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);

        // The plain entry beside it, unchanged.
        (exit, output, error) = await Curl.RunAsync(["--proxy", $"http://127.0.0.2:{_plainPort}", $"http://good.test:{_upstream.Port}/hello"]);
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);
        (exit, output, error) = await Curl.RunAsync(["--proxy", $"http://127.0.0.2:{_plainPort}", "-p", $"http://good.test:{_upstream.Port}/hello"]);
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);

        Assert.Equal("allow", (await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT")).Str("egressguard.decision"));
        Assert.Equal("allow", (await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET")).Str("egressguard.decision"));
    }

    [Fact]
    public async Task Listen_TlsEntry_PlainClientRefusedAndTheCaIsChecked()
    {
        // Plain HTTP to the TLS entry is not a request it takes; an untrusted proxy certificate stops curl.
        var (exit, _, _) = await Curl.RunAsync(["--proxy", $"http://127.0.0.1:{_tlsPort}", "--max-time", "10", $"http://good.test:{_upstream.Port}/hello"]);
        Assert.NotEqual(0, exit);
        (exit, _, _) = await Curl.RunAsync(["--proxy", $"https://127.0.0.1:{_tlsPort}", "--max-time", "10", $"http://good.test:{_upstream.Port}/hello"]);
        Assert.NotEqual(0, exit);
        Assert.Equal(0, _upstream.Connections);
    }
}
