using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>The optional Prometheus scrape endpoint on the admin listener.</summary>
public sealed class PrometheusTests
{
    [Fact]
    public async Task Metrics_Enabled_ScrapeWithTokenShowsDecisionCounters_WithoutToken401()
    {
        using var dns = new TestDnsServer();
        dns.A("bad.test", "127.0.0.66");
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "127.0.0.66\n", "", "--Telemetry:Prometheus=true");
        using (var client = proxy.CreateClient())
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://bad.test/")).StatusCode);
        }

        using var admin = proxy.CreateAdminClient();
        var response = await admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("# TYPE egressguard_decisions", text);
        Assert.Matches("egressguard_decisions[a-z_]*\\{[^}]*egressguard_reason=\"ip-list\"[^}]*\\} [1-9]", text);

        using var anonymous = proxy.CreateAdminClient(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Metrics_Anonymous_ScrapeWithoutToken_RestOfApiStillNeedsIt()
    {
        using var dns = new TestDnsServer();
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "", "--Telemetry:Prometheus=true", "--Telemetry:PrometheusAnonymous=true");
        using var anonymous = proxy.CreateAdminClient(token: null);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/rules")).StatusCode);
    }

    [Fact]
    public async Task Metrics_Off_ByDefault_404()
    {
        using var dns = new TestDnsServer();
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "");
        using var admin = proxy.CreateAdminClient();

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/metrics")).StatusCode);
    }
}
