using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>The real curl binary through the proxy: what admins try first.</summary>
public sealed class CurlTests : IClassFixture<ProxyEnvironment>
{
    private readonly ProxyEnvironment _env;

    public CurlTests(ProxyEnvironment env) => _env = env;

    private Task<(int Exit, string Out, string Err)> CurlAsync(params string[] args) =>
        Curl.RunAsync(["-x", _env.Proxy.Url, .. args]);

    [Fact]
    public async Task Curl_HttpThroughProxy_UpstreamBody()
    {
        var (exit, stdout, stderr) = await CurlAsync($"http://good.test:{_env.Good.Port}/hello");
        Assert.True(exit == 0, stderr);
        Assert.Equal("hello from 127.0.0.1", stdout);
    }

    [Fact]
    public async Task Curl_HttpsThroughConnect_TlsVerifiedEndToEnd()
    {
        var caFile = TestCertificates.WritePem(_env.TlsCertificate, _env.Proxy.Directory);
        var (exit, stdout, stderr) = await CurlAsync("--cacert", caFile, $"https://secure.test:{_env.Tls.Port}/hello");
        Assert.True(exit == 0, stderr);
        Assert.Equal("hello from 127.0.0.1", stdout);
    }

    [Fact]
    public async Task Curl_TunnelToPlainHttp_WithP()
    {
        var (exit, stdout, stderr) = await CurlAsync("-p", $"http://good.test:{_env.Good.Port}/whoami");
        Assert.True(exit == 0, stderr);
        Assert.Equal("local=127.0.0.1", stdout);
        await _env.Proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.port") == _env.Good.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Curl_BlockedHttp_403WithReason()
    {
        var (_, stdout, _) = await CurlAsync("-i", $"http://bad.test:{_env.Good.Port}/hello");
        Assert.StartsWith("HTTP/1.1 403 Forbidden", stdout);
        Assert.Contains("X-EgressGuard-Reason: ip-list", stdout);
        Assert.Contains("EgressGuard blocked GET bad.test", stdout);
        Assert.Equal(0, _env.Bad.Connections);
    }

    [Fact]
    public async Task Curl_BlockedHttps_ConnectRefused403()
    {
        var (exit, _, stderr) = await CurlAsync($"https://bad.test:{_env.Tls.Port}/");
        Assert.NotEqual(0, exit);
        Assert.Contains("403", stderr);
        Assert.Equal(0, _env.Bad.Connections);
    }
}
