using System.Net;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary><c>Via: 1.1 egressguard-&lt;node&gt;</c> upstream, and a request carrying it back refused as a loop (issue 16, item 11).</summary>
public sealed class ViaLoopTests : IClassFixture<ProxyEnvironment>
{
    private readonly ProxyEnvironment _env;

    public ViaLoopTests(ProxyEnvironment env) => _env = env;

    private string Node => _env.Proxy.Services.GetRequiredService<NodeOptions>().Name;

    private static Dictionary<string, string> Headers(string text) =>
        text.Split('\n').Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public async Task Forward_ClientViaPresent_OurEntryAppendedAfterIt()
    {
        using var client = _env.Proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://good.test:{_env.Good.Port}/headers");
        request.Headers.TryAddWithoutValidation("Via", "1.0 branch-cache");
        var headers = Headers(await (await client.SendAsync(request)).Content.ReadAsStringAsync());
        Assert.Equal($"1.0 branch-cache, 1.1 egressguard-{Node}", headers["Via"]);
    }

    [Theory]
    [InlineData("1.1 egressguard-{0}")]
    [InlineData("1.0 branch-cache, 1.1 EGRESSGUARD-{0} (comment)")]
    public async Task Forward_RequestCarryingOurVia_RefusedAsSelfLoopNothingSent(string via)
    {
        var before = _env.Good.Connections;
        using var client = _env.Proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://good.test:{_env.Good.Port}/hello?loop={Guid.NewGuid():N}");
        request.Headers.TryAddWithoutValidation("Via", string.Format(System.Globalization.CultureInfo.InvariantCulture, via, Node));
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("self-loop", response.Headers.GetValues("X-EgressGuard-Reason").Single());
        Assert.Equal(before, _env.Good.Connections);
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("egressguard.rule") == "guard:via" && l.Str("url.path") == "/hello");
        Assert.Equal("self-loop", line.Str("egressguard.reason"));
        Assert.Equal($"egressguard-{Node}", line.Str("egressguard.entry"));
    }

    [Fact]
    public async Task Forward_AnotherNodesVia_Forwarded()
    {
        using var client = _env.Proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://good.test:{_env.Good.Port}/hello");
        request.Headers.TryAddWithoutValidation("Via", $"1.1 egressguard-{Node}-other");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Forward_ViaOff_NothingAddedAndOurTokenNotRefused()
    {
        await using var proxy = await TestProxy.StartAsync(_env.Dns.Endpoint, "", "", "--Proxy:Via=false");
        using var client = proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://good.test:{_env.Good.Port}/headers");
        request.Headers.TryAddWithoutValidation("Via", $"1.1 egressguard-{Node}");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"1.1 egressguard-{Node}", Headers(await response.Content.ReadAsStringAsync())["Via"]);
    }
}
