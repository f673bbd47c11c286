using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>A DNS server that never answers: both paths give 504 naming the DNS timeout, and dial nothing.</summary>
public sealed class DnsTimeoutTests : IAsyncLifetime
{
    private readonly SilentDnsServer _dns = new();
    private TestProxy _proxy = null!;

    public async Task InitializeAsync() =>
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Dns:Timeout=00:00:00.300", "--Dns:Retries=0");

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _dns.Dispose();
    }

    [Fact]
    public async Task Get_DnsNeverAnswers_504DnsTimeout()
    {
        using var client = _proxy.CreateClient();
        var response = await client.GetAsync("http://slow.test/");
        Assert.Equal(504, (int)response.StatusCode);
        Assert.Equal("dns-timeout", response.Headers.GetValues("X-EgressGuard-Reason").Single());
        Assert.Contains("DNS timeout", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Connect_DnsNeverAnswers_504DnsTimeout()
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync("CONNECT slow.test:443 HTTP/1.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 504 ", head);
        Assert.Contains("X-EgressGuard-Reason: dns-timeout", head);
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT");
        Assert.Equal("error", line.Str("egressguard.decision"));
        Assert.Equal("504", line.Str("http.response.status_code"));
    }
}
