using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>An HTTPS proxy listener requiring client certificates; the certificate's subject is the identity. Driven by real curl.</summary>
public sealed class MtlsTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "mtls-" + Guid.NewGuid().ToString("N"));
    private TestUpstream _upstream = null!;
    private TestProxy _proxy = null!;
    private (string Ca, string ServerCert, string ServerKey, string ClientCert, string ClientKey) _certs;

    public async Task InitializeAsync()
    {
        _dns.A("good.test", "127.0.0.1");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _certs = TestCertificates.WriteMtlsSet(_dir, "build-agent-7");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "",
            $"--Proxy:Tls:Certificate={_certs.ServerCert}", $"--Proxy:Tls:Key={_certs.ServerKey}",
            "--Proxy:Tls:ClientCertificates=required", $"--Proxy:Tls:ClientCa={_certs.Ca}");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _dns.Dispose();
    }

    private Task<(int Exit, string Out, string Err)> CurlAsync(params string[] args) =>
        Curl.RunAsync(["--proxy", $"https://127.0.0.1:{_proxy.Port}", "--proxy-cacert", _certs.Ca, .. args]);

    [Fact]
    public async Task ClientCertificate_SubjectIsTheIdentity()
    {
        var (exit, output, error) = await CurlAsync("--proxy-cert", _certs.ClientCert, "--proxy-key", _certs.ClientKey, $"http://good.test:{_upstream.Port}/hello");
        Assert.True(exit == 0, error);
        Assert.Equal("hello from 127.0.0.1", output);
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "build-agent-7");
        Assert.Equal("allow", line.Str("egressguard.decision"));

        (exit, output, error) = await CurlAsync("--proxy-cert", _certs.ClientCert, "--proxy-key", _certs.ClientKey, "-p", $"http://good.test:{_upstream.Port}/whoami");
        Assert.True(exit == 0, error);
        await _proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "build-agent-7" && l.Str("http.request.method") == "CONNECT");
    }

    [Fact]
    public async Task NoClientCertificate_HandshakeRefused()
    {
        var (exit, _, _) = await CurlAsync($"http://good.test:{_upstream.Port}/hello");
        Assert.NotEqual(0, exit);
        Assert.Equal(0, _upstream.Connections);
    }
}
