using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;

namespace EgressGuard.Tests.Policy;

public class EgressPolicyTests
{
    /// <summary>A table resolver: these unit tests are about precedence, not DNS (the functional tests use a real server).</summary>
    private sealed class TableResolver : IResolver
    {
        public Dictionary<string, Resolution.Resolution> Answers { get; } = [];

        public int Queries { get; private set; }

        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            Queries++;
            return ValueTask.FromResult(Answers.TryGetValue(name, out var r)
                ? r
                : Resolution.Resolution.Failed(ResolutionError.NxDomain, $"DNS NXDOMAIN for {name}"));
        }
    }

    private static Resolution.Resolution Addrs(params string[] addresses) =>
        new(addresses.Select(IPAddress.Parse).ToList(), [], ResolutionError.None, null, TimeSpan.FromSeconds(30));

    private static (EgressPolicy Policy, TableResolver Resolver) Create(bool guard = true, string[]? exempt = null, AddressPreference prefer = AddressPreference.IPv4)
    {
        var dir = Path.Combine(Path.GetTempPath(), "eg-policy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "bad-ips.txt"), "198.51.100.66\n203.0.113.0/24\n127.0.0.66\n2001:db8:bad::/48\n");
        File.WriteAllText(Path.Combine(dir, "bad-domains.txt"), "c2.test\n*.evil.test\n");
        var result = PolicyLoader.Load(
            new ListsOptions
            {
                Ip = [new ListFileOptions { Path = "bad-ips.txt" }],
                Domain = [new ListFileOptions { Path = "bad-domains.txt" }],
            },
            new GuardOptions { Enabled = guard, Exempt = [.. exempt ?? []] },
            dir,
            1);
        Assert.Empty(result.Errors);
        var resolver = new TableResolver();
        resolver.Answers["good.test"] = Addrs("8.8.8.8", "2606:4700::1111");
        resolver.Answers["mixed.test"] = Addrs("8.8.8.8", "198.51.100.66");
        resolver.Answers["private.test"] = Addrs("10.1.1.1");
        resolver.Answers["both.test"] = Addrs("10.1.1.1", "198.51.100.66");
        resolver.Answers["alias.test"] = new(
            [IPAddress.Parse("8.8.4.4")], ["cdn.test", "x.evil.test"], ResolutionError.None, null, TimeSpan.FromSeconds(30));
        resolver.Answers["nat64.test"] = Addrs("64:ff9b::c633:6442");
        resolver.Answers["loop.test"] = Addrs("127.0.0.1");
        resolver.Answers["loopbad.test"] = Addrs("127.0.0.66");
        resolver.Answers["slow.test"] = Resolution.Resolution.Failed(ResolutionError.Timeout, "DNS timeout resolving slow.test (A)");
        return (new EgressPolicy(new PolicyHolder(result.Snapshot!), resolver, prefer), resolver);
    }

    private static Target T(string authority)
    {
        Assert.True(TargetParser.TryParseAuthority(authority, -1, out var target, out var error), error);
        return target;
    }

    public static TheoryData<string, string, string, string, string?, string?> Cases => new()
    {
        // name,                                 target,                        action,                 reason,                         rule,                    entry
        { "clean name allowed",                  "good.test:443",               "allow",   DecisionReasons.Allowed,        null,                    null },
        { "listed literal denied",               "198.51.100.66:443",           "deny",    DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "literal in listed cidr denied",       "203.0.113.9:443",             "deny",    DecisionReasons.IpList,         "list:bad-ips",          "203.0.113.0/24" },
        { "odd notation literal denied",         "3325256770:443",              "deny",    DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "mapped v6 literal denied",            "[::ffff:c633:6442]:443",      "deny",    DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "nat64 literal denied by list",        "[64:ff9b::198.51.100.66]:443", "deny",   DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "6to4 literal of private denied",      "[2002:a01:101::1]:443",       "deny",    DecisionReasons.NonPublic,      "guard:non-public",      "10.0.0.0/8" },
        { "v6 literal in listed cidr",           "[2001:db8:bad::1]:443",       "deny",    DecisionReasons.IpList,         "list:bad-ips",          "2001:db8:bad::/48" },
        { "one of two answers listed",           "mixed.test:443",              "deny",    DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "name on domain list",                 "c2.test:443",                 "deny",    DecisionReasons.DomainList,     "list:bad-domains",      "c2.test" },
        { "cname on domain list",                "alias.test:443",              "deny",    DecisionReasons.DomainList,     "list:bad-domains",      "*.evil.test" },
        { "private answer denied by guard",      "private.test:443",            "deny",    DecisionReasons.NonPublic,      "guard:non-public",      "10.0.0.0/8" },
        { "list wins over guard",                "both.test:443",               "deny",    DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "nat64 answer checked embedded",       "nat64.test:443",              "deny",    DecisionReasons.IpList,         "list:bad-ips",          "198.51.100.66" },
        { "metadata literal denied",             "169.254.169.254:80",          "deny",    DecisionReasons.NonPublic,      "guard:non-public",      "169.254.0.0/16" },
        { "zero address denied",                 "0.0.0.0:80",                  "deny",    DecisionReasons.NonPublic,      "guard:non-public",      "0.0.0.0/8" },
        { "unspecified v6 denied",               "[::]:80",                     "deny",    DecisionReasons.NonPublic,      "guard:non-public",      "::" },
        { "localhost denied by guard",           "loop.test:80",                "deny",    DecisionReasons.NonPublic,      "guard:non-public",      "127.0.0.0/8" },
        { "nxdomain is an error",                "missing.test:443",            "error",   DecisionReasons.DnsNxDomain,    null,                    null },
        { "dns timeout is an error",             "slow.test:443",               "error",   DecisionReasons.DnsTimeout,     null,                    null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DecideAsync_Table(string name, string authority, string actionName, string reason, string? rule, string? entry)
    {
        var action = Enum.Parse<DecisionAction>(actionName, ignoreCase: true);
        var (policy, _) = Create();
        var decision = await policy.DecideAsync(T(authority), CancellationToken.None);
        Assert.True(action == decision.Action, $"{name}: {decision}");
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(rule, decision.Rule);
        Assert.Equal(entry, decision.Entry);
        if (action == DecisionAction.Allow)
        {
            Assert.NotEmpty(decision.Approved);
        }
        else
        {
            Assert.Empty(decision.Approved);
        }
    }

    [Fact]
    public async Task DecideAsync_ExemptLoopback_ListStillDenies()
    {
        var (policy, _) = Create(exempt: ["127.0.0.0/8"]);
        Assert.Equal(DecisionAction.Allow, (await policy.DecideAsync(T("loop.test:80"), default)).Action);
        var listed = await policy.DecideAsync(T("loopbad.test:80"), default);
        Assert.Equal(DecisionReasons.IpList, listed.Reason);
        Assert.Equal(IPAddress.Parse("127.0.0.66"), listed.MatchedAddress);
    }

    [Fact]
    public async Task DecideAsync_GuardDisabled_PrivateAllowed()
    {
        var (policy, _) = Create(guard: false);
        Assert.Equal(DecisionAction.Allow, (await policy.DecideAsync(T("private.test:80"), default)).Action);
    }

    [Fact]
    public async Task DecideAsync_ListedName_NeverResolved()
    {
        var (policy, resolver) = Create();
        await policy.DecideAsync(T("c2.test:443"), default);
        await policy.DecideAsync(T("a.evil.test:443"), default);
        Assert.Equal(0, resolver.Queries);
    }

    [Fact]
    public async Task DecideAsync_MixedAnswers_LogsAllResolvedAndNamesListedOne()
    {
        var (policy, _) = Create();
        var decision = await policy.DecideAsync(T("mixed.test:443"), default);
        Assert.Equal(["8.8.8.8", "198.51.100.66"], decision.ResolvedAddresses.Select(a => a.ToString()));
        Assert.Equal(IPAddress.Parse("198.51.100.66"), decision.MatchedAddress);
    }

    [Theory]
    [InlineData("IPv4", "8.8.8.8")]
    [InlineData("IPv6", "2606:4700::1111")]
    public async Task DecideAsync_Preference_OrdersApproved(string prefer, string first)
    {
        var (policy, _) = Create(prefer: Enum.Parse<AddressPreference>(prefer));
        var decision = await policy.DecideAsync(T("good.test:443"), default);
        Assert.Equal(first, decision.Approved[0].ToString());
        Assert.Equal(2, decision.Approved.Count);
    }

    [Fact]
    public async Task DecideAsync_ReportModeSource_AllowsWithWouldDeny()
    {
        var builder = new IpRangeIndexBuilder();
        var report = builder.AddSource(new ListSource("feed:trial") { Mode = EnforcementMode.Report });
        builder.Add(report, IpNetworkParser.Parse("8.8.8.8"));
        var snapshot = new PolicySnapshot(builder.Build(), DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1);
        var resolver = new TableResolver();
        resolver.Answers["dns.test"] = Addrs("8.8.8.8");
        var policy = new EgressPolicy(new PolicyHolder(snapshot), resolver, AddressPreference.IPv4);

        var decision = await policy.DecideAsync(T("dns.test:443"), default);
        Assert.Equal(DecisionAction.Allow, decision.Action);
        Assert.Equal("feed:trial", decision.WouldDeny!.Rule);
        Assert.Equal(EnforcementMode.Report, Assert.Single(decision.Matches).Mode);
    }

    [Fact]
    public async Task DecideAsync_AddressOnSeveralLists_AllMatchesInDecision()
    {
        var builder = new IpRangeIndexBuilder();
        var a = builder.AddSource(new ListSource("feed:a") { Mode = EnforcementMode.Report });
        var b = builder.AddSource("feed:b");
        builder.Add(a, IpNetworkParser.Parse("198.51.100.66")).Add(b, IpNetworkParser.Parse("198.51.100.0/24"));
        var snapshot = new PolicySnapshot(builder.Build(), DomainSet.Empty, null, IpRangeIndex.Empty, 1);
        var policy = new EgressPolicy(new PolicyHolder(snapshot), new TableResolver(), AddressPreference.IPv4);

        var decision = await policy.DecideAsync(T("198.51.100.66:443"), default);
        Assert.Equal(DecisionAction.Deny, decision.Action);
        Assert.Equal("feed:b", decision.Rule);
        Assert.Equal(["feed:a", "feed:b"], decision.Matches.Select(m => m.Rule));
    }
}
