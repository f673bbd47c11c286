using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Security defaults that must hold whatever the policy says (loopback is exempt in these tests).</summary>
public sealed class SecurityDefaultsTests : IClassFixture<ProxyEnvironment>
{
    private readonly ProxyEnvironment _env;

    public SecurityDefaultsTests(ProxyEnvironment env) => _env = env;

    private async Task<string> ConnectAsync(string target)
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT {target} HTTP/1.1\r\n\r\n");
        return (await raw.ReadHeadAsync()).Head;
    }

    [Fact]
    public async Task Connect_ToItsOwnProxyPort_RefusedAsSelfLoop()
    {
        var head = await ConnectAsync($"127.0.0.1:{_env.Proxy.Port}");
        Assert.StartsWith("HTTP/1.1 403", head);
        Assert.Contains("X-EgressGuard-Reason: self-loop", head);
    }

    [Fact]
    public async Task Connect_ToTheAdminPort_Refused()
    {
        var admin = new Uri(_env.Proxy.AdminUrl);
        var head = await ConnectAsync($"127.0.0.1:{admin.Port}");
        Assert.StartsWith("HTTP/1.1 403", head);
        Assert.Contains("X-EgressGuard-Reason: self-loop", head);
    }

    [Fact]
    public async Task Forward_ToTheAdminApi_Refused()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync($"{_env.Proxy.AdminUrl}/rules");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("self-loop", response.Headers.GetValues("X-EgressGuard-Reason").Single());
    }

    [Fact]
    public async Task Responses_NoServerHeader()
    {
        using var client = new HttpClient();
        var health = await client.GetAsync($"{_env.Proxy.Url}/healthz");
        Assert.False(health.Headers.Contains("Server"));
        var admin = await client.GetAsync($"{_env.Proxy.AdminUrl}/healthz");
        Assert.False(admin.Headers.Contains("Server"));
    }
}
