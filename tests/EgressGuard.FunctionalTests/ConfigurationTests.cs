using EgressGuard.Configuration;
using EgressGuard.Hosting;

namespace EgressGuard.FunctionalTests;

/// <summary>Invalid configuration stops the start with every error listed: key, value, file and line.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public void Build_InvalidSettings_EveryErrorListed()
    {
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "ips.txt"), "192.0.2.1\nnot-an-ip\n");
        var config = Path.Combine(dir, "egressguard.json");
        File.WriteAllText(config, """
            {
              "Proxy": { "Listen": "nowhere", "MaxHeadBytes": 10 },
              "Dns": { "Servers": [ "dns.example" ] },
              "Guard": { "Exempt": [ "10.0.0.0/33" ] },
              "Lists": { "Ip": [ { "Path": "ips.txt" }, { "Path": "missing.txt" } ] }
            }
            """);

        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Proxy:IdleTimeout=-00:00:01", "--Proxy:Forwarder=fast", "--Proxy:CompactMemoryAfter=-00:00:01", "--Proxy:SplicePipeSize=-1", "--Proxy:SplicePipeBudget=-5"]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:Forwarder = 'fast': must be 'lean' or 'yarp'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:Listen = 'nowhere'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:MaxHeadBytes = '10'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:IdleTimeout", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:CompactMemoryAfter = '-00:00:01': must not be negative", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:SplicePipeSize = '-1': must be between 0 and 268435456", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:SplicePipeBudget = '-5': must not be negative", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Dns:Servers:0 = 'dns.example'", StringComparison.Ordinal));
        Assert.True(ex.Errors.Any(e => e.StartsWith("Guard:Exempt:0 = '10.0.0.0/33'", StringComparison.Ordinal)), string.Join("\n", ex.Errors));
        Assert.Contains(ex.Errors, e => e.EndsWith("ips.txt:2: 'not-an-ip' is not an IP address, CIDR or range", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Lists:Ip:1:Path = 'missing.txt': file not found", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_InvalidStoreAndNode_EveryErrorListedWithoutThePassword()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", WriteEmptyConfig(),
            "--Store:PostgresFile=missing-secret", "--Store:PollInterval=00:00:00", "--Node:Name=bad name!"]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Store:PostgresFile = 'missing-secret': file not found", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Store:PollInterval = '00:00:00'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Node:Name = 'bad name!'", StringComparison.Ordinal));

        var invalid = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", WriteEmptyConfig(), "--Store:Postgres=Host=db;Password=secret-pw;NoSuchKey=1"]));
        var error = Assert.Single(invalid.Errors, e => e.StartsWith("Store:Postgres: not a valid connection string", StringComparison.Ordinal));
        Assert.DoesNotContain("secret-pw", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_UnconvertibleValue_ErrorNamesKey()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", WriteEmptyConfig(), "--Proxy:HeadTimeout=soon"]));
        Assert.Contains(ex.Errors, e => e.Contains("Proxy:HeadTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_MissingExplicitConfig_Error()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", "/nonexistent/egressguard.json"]));
        Assert.Contains("file not found", Assert.Single(ex.Errors));
    }

    [Fact]
    public async Task Build_SampleConfig_Starts()
    {
        // The repository's own sample, as `dotnet run --project src/EgressGuard` uses it (port overridden).
        var sample = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../config/egressguard.json"));
        Assert.True(File.Exists(sample), sample);
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "sample-" + Guid.NewGuid().ToString("N"));
        await using var app = EgressGuardHost.Build(["--config", sample, "--Proxy:Listen=127.0.0.1:0", "--Admin:Listen=127.0.0.1:0", $"--Data:Directory={data}"]);
        await app.StartAsync();
        var settings = app.Services.GetService(typeof(EgressGuardSettings)) as EgressGuardSettings;
        Assert.True(settings!.Policy.IpEntries > 0);
        await app.StopAsync();
    }

    [Fact]
    public async Task Build_InspectPortsConfigured_ReplaceTheDefaultNotAppended()
    {
        // Regression: the binder appended the configured ports to the initial [443, 8443], so the
        // sample config's [443, 8443] became 443, 8443, 443, 8443 and [8443] still inspected 443.
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "ports-" + Guid.NewGuid().ToString("N"));
        await using var configured = EgressGuardHost.Build(["--config", WriteEmptyConfig(), "--Proxy:Listen=127.0.0.1:0", "--Admin:Listen=", $"--Data:Directory={data}", "--Tls:InspectPorts:0=8443"]);
        Assert.Equal([8443], ((EgressGuardSettings)configured.Services.GetService(typeof(EgressGuardSettings))!).Tls.InspectPorts);
        await using var unset = EgressGuardHost.Build(["--config", WriteEmptyConfig(), "--Proxy:Listen=127.0.0.1:0", "--Admin:Listen=", $"--Data:Directory={data}"]);
        Assert.Equal([443, 8443], ((EgressGuardSettings)unset.Services.GetService(typeof(EgressGuardSettings))!).Tls.InspectPorts);
    }

    [Fact]
    public void Build_UnreadableKnownGoodFile_ErrorNamesKeyAndLine()
    {
        var config = WriteEmptyConfig();
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(config)!, "good.txt"), "# resolvers\n8.8.8.8 # Google\nnot-an-address # typo\n");
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", config, "--Hygiene:KnownGoodFile=good.txt", "--Hygiene:KnownGoodFiles:0=gone.txt"]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Hygiene:KnownGoodFile = 'good.txt': line 3: 'not-an-address'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Hygiene:KnownGoodFiles:0 = 'gone.txt': file not found", StringComparison.Ordinal));
    }

    [Fact]
    public void KnownGoodFile_Shipped_EveryEntryParsesAndNamesItsSource()
    {
        // The copy beside the program is config/known-good.txt, used when the config folder has none.
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "config", "known-good.txt"));
        var entries = lines.Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains(entries, l => l.StartsWith("8.8.8.8 ", StringComparison.Ordinal));
        Assert.Contains(entries, l => l.StartsWith("1.1.1.1 ", StringComparison.Ordinal));
        Assert.Contains(entries, l => l.StartsWith("9.9.9.9 ", StringComparison.Ordinal));
        foreach (var line in entries)
        {
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            Assert.True(hash > 0 && line[(hash + 1)..].Trim().Length > 0, $"no source comment: {line}");
            Assert.True(EgressGuard.Addressing.IpNetworkParser.TryParse(line[..hash].Trim(), out _, out _, out var error), error);
        }
    }

    internal static string WriteEmptyConfig()
    {
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "egressguard.json");
        File.WriteAllText(path, "{}");
        return path;
    }

    [Fact]
    public void Build_AdminOnTheProxyPort_Refused()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", WriteEmptyConfig(), "--Proxy:Listen=127.0.0.1:3999", "--Admin:Listen=127.0.0.1:3999"]));
        Assert.Contains(ex.Errors, e => e.Contains("never shares the proxy's port", StringComparison.Ordinal));
    }
}
