using EgressGuard.Lists;
using EgressGuard.Policy;

namespace EgressGuard.Tests.Policy;

public class PolicyLoaderTests
{
    [Fact]
    public void Load_EveryProblem_ListedWithFileAndLine()
    {
        var dir = Path.Combine(Path.GetTempPath(), "eg-loader-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "ips.txt"), "192.0.2.1\nbogus\n");
        File.WriteAllText(Path.Combine(dir, "names.txt"), "ok.test\nbad!name\n");
        var result = PolicyLoader.Load(
            new ListsOptions
            {
                Ip = [new ListFileOptions { Path = "ips.txt" }, new ListFileOptions { Path = "missing.txt" }],
                Domain = [new ListFileOptions { Path = "names.txt" }],
            },
            new GuardOptions { Exempt = ["not-a-cidr"] },
            dir,
            1);

        Assert.Null(result.Snapshot);
        Assert.Contains(result.Errors, e => e.EndsWith("ips.txt:2: 'bogus' is not an IP address, CIDR or range", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Lists:Ip:1:Path = 'missing.txt': file not found", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("names.txt:2:"));
        Assert.Contains(result.Errors, e => e.StartsWith("Guard:Exempt:0 = 'not-a-cidr'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_Valid_CountsEntries()
    {
        var dir = Path.Combine(Path.GetTempPath(), "eg-loader-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "ips.txt"), "192.0.2.1\n198.51.100.0/24\n");
        var result = PolicyLoader.Load(
            new ListsOptions { Ip = [new ListFileOptions { Path = Path.Combine(dir, "ips.txt"), Name = "c2" }] },
            new GuardOptions(),
            "/nonexistent",
            1);
        Assert.NotNull(result.Snapshot);
        Assert.Equal(2, result.IpEntries);
        Assert.True(result.Snapshot!.BadIps.TryMatch(System.Net.IPAddress.Parse("198.51.100.9"), out var match));
        Assert.Equal("list:c2", match.Rule);
    }
}
