using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;
using EgressGuard.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary><c>Proxy:CompactMemoryAfter</c> on the real proxy: one compaction once the start's policy has settled, none when off.</summary>
public sealed class HeapCompactorTests : IDisposable
{
    private readonly TestDnsServer _dns = new();

    public void Dispose() => _dns.Dispose();

    [Fact]
    public async Task Start_PolicySettled_CompactsOnceThenWaitsForTheInterval()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "", "--Proxy:CompactMemoryAfter=00:00:00.200");
        var compactor = proxy.Services.GetRequiredService<HeapCompactor>();
        await Eventually.UntilAsync(() => compactor.Runs == 1, "the start's policy compacted");

        // A change within the minimum interval waits for it: no second pause right away.
        proxy.Services.GetRequiredService<PolicyRecomposer>().Recompose();
        await Task.Delay(1000);
        Assert.Equal(1, compactor.Runs);

        // The proxy still decides by the policy in force.
        using var client = proxy.CreateClient();
        var denied = await client.GetAsync("http://127.0.0.66:1/");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [Fact]
    public async Task Start_CompactMemoryAfterZero_NeverCompacts()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:CompactMemoryAfter=00:00:00");
        await Task.Delay(1000);
        Assert.Equal(0, proxy.Services.GetRequiredService<HeapCompactor>().Runs);
    }
}
