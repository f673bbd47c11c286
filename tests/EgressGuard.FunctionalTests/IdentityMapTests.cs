using System.Net;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Identity:Map names clients that cannot sign in, on every decision line; edits are picked up.</summary>
public sealed class IdentityMapTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _dns.A("app.test", "127.0.0.1");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _dns.Dispose();
    }

    [Fact]
    public async Task Map_MostSpecificRangeNamesTheClient_ReloadedOnChange()
    {
        var map = Path.Combine(Path.GetTempPath(), "egressguard-tests", "identity-" + Guid.NewGuid().ToString("N") + ".map");
        Directory.CreateDirectory(Path.GetDirectoryName(map)!);
        File.WriteAllText(map, "# lab\n127.0.0.0/8   loopback-lab\n127.0.0.1/32  build-01 (team-ci)\n");
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", $"--Identity:Map={map}");
        using var client = proxy.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://app.test:{_upstream.Port}/hello")).StatusCode);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("egressguard.client.name") is not null);
        Assert.Equal("build-01 (team-ci)", line.Str("egressguard.client.name"));
        Assert.Null(line.Str("enduser.id"));

        File.WriteAllText(map, "127.0.0.0/8 renamed-lab\n");
        File.SetLastWriteTimeUtc(map, DateTime.UtcNow.AddSeconds(5));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!proxy.ReadDecisions().Any(l => l.Str("egressguard.client.name") == "renamed-lab"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the edited map was not picked up");
            await client.GetAsync($"http://app.test:{_upstream.Port}/hello");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Map_BadLine_StartRefusedNamingTheLine()
    {
        var map = Path.Combine(Path.GetTempPath(), "egressguard-tests", "identity-" + Guid.NewGuid().ToString("N") + ".map");
        Directory.CreateDirectory(Path.GetDirectoryName(map)!);
        File.WriteAllText(map, "10.0.0.0/8 ok\nnot-a-cidr name\n");
        var error = await Assert.ThrowsAsync<EgressGuard.Configuration.ConfigurationErrorsException>(() => TestProxy.StartAsync(_dns.Endpoint, "", "", $"--Identity:Map={map}"));
        Assert.Contains(map + ":2", error.Message);
    }
}
