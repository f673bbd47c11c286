using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.ThreatFeeds;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// One run of tests/console/console.mjs against a real proxy: the proxy with its admin listener, a
/// deny rule, a feed loaded three times (1, 1, then 2 entries) and two quarantined sources; Chromium driven by playwright-core through every
/// console case in order (each builds on the last, as an admin's session would). The cases'
/// results are then asserted one by one by <see cref="AdminConsoleBrowserTests"/>.
/// </summary>
public sealed class AdminConsoleBrowserRun : IAsyncLifetime
{
    public const string DeniedHost = "denied.test";
    public const string ReleasedSource = "10.66.0.1";
    public const string ExtendedSource = "10.66.0.2";
    public const string Feed = "test-c2";

    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-console", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, JsonElement> _cases = new(StringComparer.Ordinal);
    private string _output = string.Empty;
    private string? _failure;

    public TestProxy Proxy { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (ConsoleBrowser.Missing() is { } missing)
        {
            _failure = $"cannot drive the console: missing {missing}";
            return;
        }

        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n");
        _dns.A(DeniedHost, "127.0.0.99");
        Proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", [
            $"--Feeds:0:Name={Feed}", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Path.Combine(_dir, "c2.txt")}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            $"--Data:Directory={Path.Combine(_dir, "data")}"]);
        // The local feed loads twice at start (before the listener, then the scheduler's first
        // round); once both are in, a third load with one more entry gives the chart a step to draw.
        var feeds = Proxy.Services.GetRequiredService<FeedManager>();
        for (var i = 0; i < 200 && feeds.History.Get(Feed).Count < 2; i++)
        {
            await Task.Delay(25);
        }

        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n127.0.0.78\n");
        var reloaded = await feeds.RefreshAsync(Feed, default);
        Assert.True(reloaded.LastError is null && reloaded.EntryCount == 2, reloaded.LastError);
        using var admin = Proxy.CreateAdminClient();
        (await admin.PostAsync("/rules", new StringContent($$"""{"id":"block-denied","action":"deny","destinations":["{{DeniedHost}}"],"comment":"console test"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        foreach (var address in new[] { ReleasedSource, ExtendedSource })
        {
            (await admin.PostAsJsonAsync("/quarantine", new { address, duration = "4h", reason = "console test" })).EnsureSuccessStatusCode();
        }

        var (exit, stdout, stderr) = await ClientPrograms.RunAsync("node", ["console.mjs"], new Dictionary<string, string>
        {
            ["CONSOLE_ADMIN_URL"] = Proxy.AdminUrl,
            ["CONSOLE_PROXY_PORT"] = Proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CONSOLE_TOKEN"] = TestProxy.AdminToken,
            ["CONSOLE_DENIED_HOST"] = DeniedHost,
            ["CONSOLE_QUARANTINE_RELEASE"] = ReleasedSource,
            ["CONSOLE_QUARANTINE_EXTEND"] = ExtendedSource,
            ["CONSOLE_FEED"] = Feed,
            ["CONSOLE_CHROMIUM"] = ConsoleBrowser.Chromium,
        }, workingDirectory: ConsoleBrowser.Directory, timeout: TimeSpan.FromMinutes(5));
        _output = $"exit {exit}\n{stdout}\n{stderr}";
        foreach (var line in stdout.Split('\n').Where(l => l.StartsWith('{')))
        {
            var result = JsonDocument.Parse(line).RootElement.Clone();
            _cases[result.GetProperty("case").GetString()!] = result;
        }

        if (_cases.Count == 0)
        {
            _failure = "console.mjs reported no case";
        }
    }

    /// <summary>Fails with the case's error (and the run's output) unless it passed.</summary>
    public JsonElement AssertCase(string name)
    {
        Assert.True(_failure is null, $"{_failure}\n{_output}");
        Assert.True(_cases.TryGetValue(name, out var result), $"case '{name}' did not run:\n{_output}");
        Assert.True(result.GetProperty("ok").GetBoolean(), $"case '{name}' failed: {(result.TryGetProperty("error", out var e) ? e.GetString() : "?")}\n\n{_output}");
        return result;
    }

    public async Task DisposeAsync()
    {
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        _dns.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
