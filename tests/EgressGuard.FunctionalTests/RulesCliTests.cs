using System.Diagnostics;
using System.Net;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>The rules CLI against a real admin API.</summary>
public sealed class RulesCliTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _dns.A("app.test", "127.0.0.90");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _dns.Dispose();
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RulesCommand.RunAsync([.. args, "--admin", _proxy.AdminUrl, "--token", TestProxy.AdminToken], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task AddListExplainRemove_ReadableOutput()
    {
        var (exit, output, error) = await RunAsync("add", "block-app", "--action", "deny", "--dest", "app.test,*.app.test", "--ports", "443", "--comment", "incident 7");
        Assert.True(exit == 0, error);
        Assert.Contains("added rule 'block-app'", output);

        (exit, output, _) = await RunAsync("list");
        Assert.Equal(0, exit);
        var lines = output.Split('\n');
        Assert.StartsWith("#", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("0  ", StringComparison.Ordinal) && l.Contains("block-app") && l.Contains("app.test,*.app.test") && l.Contains("incident 7"));
        Assert.Contains(lines, l => l.Contains("guard") && l.Contains("built-in"));

        (exit, output, _) = await RunAsync("explain", "app.test", "--port", "443", "--client", "10.1.2.3");
        Assert.Equal(0, exit);
        Assert.StartsWith("DENY app.test:443 (403): rule by rule:block-app", output);
        Assert.Contains("SUBJECT", output);

        (exit, output, _) = await RunAsync("remove", "block-app");
        Assert.Equal(0, exit);
        (exit, output, _) = await RunAsync("explain", "app.test", "--port", "443");
        Assert.StartsWith("ALLOW", output);
    }

    [Fact]
    public async Task AddWithUpstreamDirect_ExplainSaysVia()
    {
        var (exit, _, error) = await RunAsync("add", "lan", "--action", "allow", "--dest", "app.test", "--upstream", "direct");
        Assert.True(exit == 0, error);

        (exit, var output, _) = await RunAsync("explain", "app.test", "--port", "443");
        Assert.Equal(0, exit);
        Assert.StartsWith("ALLOW app.test:443 (200): allowed by rule:lan via direct", output);

        (exit, _, error) = await RunAsync("add", "via-x", "--action", "allow", "--dest", "x.test", "--upstream", "x");
        Assert.Equal(1, exit);
        Assert.Contains("- rule 'via-x': upstream = 'x'", error);
    }

    [Fact]
    public async Task InvalidRule_Exit1WithEveryError()
    {
        var (exit, _, error) = await RunAsync("add", "bad", "--action", "block", "--ports", "99999");
        Assert.Equal(1, exit);
        Assert.Contains("400", error);
        Assert.Contains("- rule 'bad': action", error);
        Assert.Contains("- rule 'bad': ports[0]", error);
    }

    [Fact]
    public async Task UnknownCommand_Usage2()
    {
        var (exit, _, error) = await RunAsync("frobnicate");
        Assert.Equal(2, exit);
        Assert.Contains("usage: EgressGuard rules", error);
    }

    [Fact]
    public async Task Program_EnvironmentDefaults_ListsRules()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EgressGuard.dll"));
        start.ArgumentList.Add("rules");
        start.ArgumentList.Add("list");
        start.Environment["EGRESSGUARD_ADMIN_URL"] = _proxy.AdminUrl;
        start.Environment["EGRESSGUARD_ADMIN_TOKEN"] = TestProxy.AdminToken;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("default", output);
    }
}
