using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Rules;

namespace EgressGuard.Tests.Policy;

/// <summary>Issue 18 item 4: what the retro-hunt checks after a swap is what the swap added, per source and mode.</summary>
public sealed class PolicyDeltaTests
{
    private static readonly RuleSet Rules = RuleSet.Default;

    private static PolicySnapshot Snapshot(string[] ips, string[] domains, EnforcementMode mode = EnforcementMode.Enforce, RuleSet? rules = null)
    {
        var index = new IpRangeIndexBuilder();
        var feed = index.AddSource(new ListSource("feed:feodo") { Mode = mode });
        foreach (var ip in ips)
        {
            index.Add(feed, IpNetworkParser.Parse(ip));
        }

        var names = new DomainSetBuilder();
        foreach (var domain in domains)
        {
            Assert.True(DomainPattern.TryParse(domain, out var pattern, out _));
            names.Add(pattern, new ListSource("feed:urlhaus") { Mode = mode });
        }

        return new PolicySnapshot(index.Build(), names.Build(), null, IpRangeIndex.Empty, 1, rules ?? Rules);
    }

    [Fact]
    public void Between_OneRangeAndOneDomainAdded_CoversOnlyThose()
    {
        var before = Snapshot(["192.0.2.1", "198.51.100.0/24"], ["old.test"]);
        var after = Snapshot(["192.0.2.1", "198.51.100.0/24", "203.0.113.0/28"], ["old.test", ".new.test"]);

        var delta = PolicyDelta.Between(before, after);

        Assert.Equal(3, delta.EntryCount); // the range, and .new.test as the name itself and its subdomains
        Assert.False(delta.RulesChanged);
        Assert.True(delta.Covers(null, IPAddress.Parse("203.0.113.9")));
        Assert.False(delta.Covers(null, IPAddress.Parse("198.51.100.7")));
        Assert.True(delta.Covers("new.test", IPAddress.Parse("192.0.2.200")));
        Assert.True(delta.Covers("a.b.new.test", IPAddress.Parse("192.0.2.200")));
        Assert.False(delta.Covers("old.test", IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Between_SameEntriesNewSnapshot_NothingToCheck()
    {
        var delta = PolicyDelta.Between(Snapshot(["192.0.2.1"], ["old.test"]), Snapshot(["192.0.2.1"], ["old.test"]));

        Assert.Equal(0, delta.EntryCount);
        Assert.False(delta.Covers("old.test", IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Between_EntryMovedFromReportToEnforce_CountsAsNew()
    {
        var delta = PolicyDelta.Between(Snapshot(["192.0.2.1"], [], EnforcementMode.Report), Snapshot(["192.0.2.1"], []));

        Assert.Equal(1, delta.EntryCount);
        Assert.True(delta.Covers(null, IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Between_OtherRuleSet_RulesChanged()
    {
        var other = RuleCompiler.Compile(new RulesDocument(), RuleCompiler.NoFeedCheck, DateTimeOffset.MinValue).Set!;

        Assert.True(PolicyDelta.Between(Snapshot([], []), Snapshot([], [], rules: other)).RulesChanged);
    }
}
