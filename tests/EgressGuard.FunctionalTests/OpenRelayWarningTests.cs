using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Issue 16 item 7: a proxy listening beyond loopback with the default trusted ranges says so at start.</summary>
public sealed class OpenRelayWarningTests : IDisposable
{
    private readonly TestDnsServer _dns = new();

    public void Dispose() => _dns.Dispose();

    [Theory]
    [InlineData("0.0.0.0:0", null, true)]
    [InlineData("127.0.0.1:0", null, false)]
    [InlineData("0.0.0.0:0", "10.20.0.0/16", false)]
    public async Task Start_ListenAndTrustedClients_WarnsOnlyWhenAnyPrivateAddressMayRelay(string listen, string? trusted, bool warns)
    {
        string[] overrides = trusted is null ? [$"--Proxy:Listen={listen}"] : [$"--Proxy:Listen={listen}", $"--Proxy:TrustedClients:0={trusted}", "--Proxy:TrustedClients:1=127.0.0.0/8"];
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, string.Empty, string.Empty, overrides);

        var warning = proxy.Logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Proxy:TrustedClients", StringComparison.Ordinal)).ToList();
        if (warns)
        {
            var line = Assert.Single(warning);
            Assert.Contains("0.0.0.0", line);
            Assert.Contains("docs/deploy.md", line);
        }
        else
        {
            Assert.Empty(warning);
        }
    }
}
