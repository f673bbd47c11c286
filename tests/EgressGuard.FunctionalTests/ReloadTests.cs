using System.Net;
using System.Text.Json.Nodes;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>What SIGHUP does (the handler the signal calls), against the real proxy and its real files.</summary>
public sealed class ReloadTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestUpstream _upstream = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _dns.A("a.test", "127.0.0.1").A("newly-bad.test", "127.0.0.88");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _dns.Dispose();
    }

    private Task<bool> HangUpAsync() => _proxy.Services.GetRequiredService<SignalHandlers>().ReloadAsync();

    private string ConfigPath => Path.Combine(_proxy.Directory, "egressguard.json");

    private async Task<HttpStatusCode> StatusAsync(string url)
    {
        using var client = _proxy.CreateClient();
        return (await client.GetAsync(url)).StatusCode;
    }

    [Fact]
    public async Task Reload_ListFileEditedAndDomainAdded_InForceAtOnce()
    {
        File.WriteAllText(Path.Combine(_proxy.Directory, "bad-ips.txt"), "127.0.0.66\n127.0.0.88\n");
        File.WriteAllText(Path.Combine(_proxy.Directory, "bad-domains.txt"), "a.test\n");

        Assert.True(await HangUpAsync());

        using var client = _proxy.CreateClient();
        var response = await client.GetAsync("http://newly-bad.test/");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("127.0.0.88", response.Headers.GetValues("X-EgressGuard-Entry").Single());
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync($"http://a.test:{_upstream.Port}/headers"));
        Assert.Contains(_proxy.Logs.Lines, l => l.Contains("Configuration re-read: lists and guard in force", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_GuardExemptionRemoved_LoopbackDeniedAsNonPublic()
    {
        var config = JsonNode.Parse(File.ReadAllText(ConfigPath))!;
        config["Guard"]!["Exempt"] = new JsonArray();
        File.WriteAllText(ConfigPath, config.ToJsonString());

        Assert.True(await HangUpAsync());

        using var client = _proxy.CreateClient();
        var response = await client.GetAsync($"http://a.test:{_upstream.Port}/headers");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("non-public", response.Headers.GetValues("X-EgressGuard-Reason").Single());
    }

    [Fact]
    public async Task Reload_StartOnlySettingChanged_LoggedAsNeedingRestart()
    {
        var config = JsonNode.Parse(File.ReadAllText(ConfigPath))!;
        config["Proxy"]!["IdleTimeout"] = "00:01:00";
        File.WriteAllText(ConfigPath, config.ToJsonString());

        Assert.True(await HangUpAsync());

        Assert.Contains(_proxy.Logs.Lines, l => l.Contains("Configuration changed in Proxy: these settings are read at start only", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync($"http://a.test:{_upstream.Port}/headers"));
    }

    [Fact]
    public async Task Reload_GarbageConfigOrBadListLine_RejectedWithReasonLastGoodKept()
    {
        File.WriteAllText(Path.Combine(_proxy.Directory, "bad-ips.txt"), "127.0.0.88\nnot-an-address\n");
        Assert.False(await HangUpAsync());
        Assert.Contains(_proxy.Logs.Lines, l => l.Contains("NOT applied", StringComparison.Ordinal) && l.Contains("not-an-address", StringComparison.Ordinal));

        File.Move(ConfigPath, ConfigPath + ".away");
        Assert.False(await HangUpAsync());
        Assert.Contains(_proxy.Logs.Lines, l => l.Contains("NOT applied", StringComparison.Ordinal) && l.Contains("not found", StringComparison.OrdinalIgnoreCase));
        File.Move(ConfigPath + ".away", ConfigPath);

        File.WriteAllText(ConfigPath, "{ \"Proxy\": { ");
        Assert.False(await HangUpAsync());
        Assert.Contains(_proxy.Logs.Lines, l => l.Contains("NOT applied", StringComparison.Ordinal) && l.Contains("open JSON object", StringComparison.Ordinal));

        // The lists of the start are still in force: .66 denied, .88 (only in the rejected file) not.
        using var client = _proxy.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://127.0.0.66/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync($"http://a.test:{_upstream.Port}/headers"));
        Assert.NotEqual(HttpStatusCode.Forbidden, await StatusAsync("http://newly-bad.test:9/"));
    }
}
