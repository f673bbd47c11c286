using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Tests.Lists;

public class IpRangeIndexTests
{
    private static IpRange R(string text)
    {
        Assert.True(IpNetworkParser.TryParse(text, out var range, out _, out var error), error);
        return range;
    }

    [Fact]
    public void TryMatch_NestedRanges_MostSpecificWins()
    {
        var builder = new IpRangeIndexBuilder();
        var wide = builder.AddSource("list:wide");
        var narrow = builder.AddSource("list:narrow");
        builder.Add(wide, R("10.0.0.0/8")).Add(narrow, R("10.1.2.3"));
        var index = builder.Build();

        Assert.True(index.TryMatch(IPAddress.Parse("10.1.2.3"), out var m1));
        Assert.Equal("list:narrow", m1.Rule);
        Assert.True(index.TryMatch(IPAddress.Parse("10.1.2.4"), out var m2));
        Assert.Equal("list:wide", m2.Rule);
        Assert.Equal("10.0.0.0/8", m2.Entry.ToString());
        Assert.True(index.TryMatch(IPAddress.Parse("10.255.255.255"), out _));
        Assert.False(index.TryMatch(IPAddress.Parse("11.0.0.0"), out _));
        Assert.False(index.TryMatch(IPAddress.Parse("9.255.255.255"), out _));
    }

    [Fact]
    public void TryMatch_PartialOverlapAndFamilies_Correct()
    {
        var builder = new IpRangeIndexBuilder();
        var s = builder.AddSource("list:s");
        builder.Add(s, R("192.0.2.0-192.0.2.100")).Add(s, R("192.0.2.50-192.0.2.200"))
            .Add(s, R("2001:db8::/32")).Add(s, R("255.255.255.255")).Add(s, R("0.0.0.0"));
        var index = builder.Build();

        foreach (var hit in new[] { "192.0.2.0", "192.0.2.75", "192.0.2.200", "2001:db8:ffff::1", "255.255.255.255", "0.0.0.0" })
        {
            Assert.True(index.TryMatch(IPAddress.Parse(hit), out _), hit);
        }

        foreach (var miss in new[] { "192.0.2.201", "2001:db9::", "0.0.0.1", "::" })
        {
            Assert.False(index.TryMatch(IPAddress.Parse(miss), out _), miss);
        }
    }

    [Fact]
    public void TryMatch_Empty_NoMatch() =>
        Assert.False(IpRangeIndex.Empty.TryMatch(IPAddress.Loopback, out _));

    [Fact]
    public void Build_RandomRanges_AgreesWithLinearScan()
    {
        var random = new Random(1234);
        var ranges = new List<(uint First, uint Last)>();
        var builder = new IpRangeIndexBuilder();
        var s = builder.AddSource("list:r");
        for (var i = 0; i < 300; i++)
        {
            var first = (uint)random.Next(0, 100_000);
            var last = first + (uint)random.Next(0, 2_000);
            ranges.Add((first, last));
            builder.Add(s, new IpRange(true, first, last));
        }

        var index = builder.Build();
        for (uint probe = 0; probe < 105_000; probe += 7)
        {
            var expected = ranges.Any(r => r.First <= probe && probe <= r.Last);
            Assert.Equal(expected, index.TryMatch(IpNumber.FromUInt32(probe), out _));
        }
    }

    [Fact]
    public void TryMatchAll_OverlapsFromSeveralSources_AllReportedMostSpecificFirst()
    {
        var builder = new IpRangeIndexBuilder();
        var drop = builder.AddSource(new ListSource("feed:spamhaus-drop") { Category = "hijacked", Version = "2025-04-15" });
        var feodo = builder.AddSource(new ListSource("feed:feodo") { Category = "c2" });
        var admin = builder.AddSource("list:admin");
        builder.Add(drop, R("198.51.100.0/24")).Add(feodo, R("198.51.100.66")).Add(admin, R("198.51.100.64/30"))
            .Add(feodo, R("198.51.100.66")); // duplicate line in a feed: counted once
        var index = builder.Build();

        Assert.Equal(3, index.EntryCount);
        Assert.True(index.TryMatchAll(IPAddress.Parse("198.51.100.66"), out var set));
        Assert.Equal(3, set.Count);
        Assert.Equal(["feed:feodo", "list:admin", "feed:spamhaus-drop"], Enumerable.Range(0, set.Count).Select(i => set[i].Rule));
        Assert.Equal("2025-04-15", set[2].Source.Version);
        Assert.Equal("c2", set[0].Source.Category);

        Assert.True(index.TryMatchAll(IPAddress.Parse("198.51.100.1"), out var wide));
        Assert.Equal(1, wide.Count);
    }

    [Fact]
    public void Build_RandomOverlaps_SetsAgreeWithLinearScan()
    {
        var random = new Random(99);
        var ranges = new List<(uint First, uint Last)>();
        var builder = new IpRangeIndexBuilder();
        var sources = Enumerable.Range(0, 3).Select(i => builder.AddSource($"feed:{i}")).ToArray();
        for (var i = 0; i < 400; i++)
        {
            var first = (uint)random.Next(0, 50_000);
            var last = first + (uint)random.Next(0, 3_000);
            ranges.Add((first, last));
            builder.Add(sources[i % 3], new IpRange(true, first, last));
        }

        var index = builder.Build();
        for (uint probe = 0; probe < 55_000; probe += 3)
        {
            var expected = ranges.Where(r => r.First <= probe && probe <= r.Last).Distinct().Count();
            index.TryMatchAll(IpNumber.FromUInt32(probe), out var set);
            Assert.True(expected == set.Count, $"probe {probe}: expected {expected}, got {set.Count}");
        }
    }

    [Fact]
    public void TryMatch_EdgesOfAddressSpaceAndBuckets_Correct()
    {
        var builder = new IpRangeIndexBuilder();
        var s = builder.AddSource("list:edges");
        builder.Add(s, R("0.0.0.0/0")).Add(s, R("255.255.0.0/16")).Add(s, R("10.0.255.255-10.1.0.0"))
            .Add(s, R("::/0")).Add(s, R("ffff::/16"));
        var index = builder.Build();
        Assert.True(index.TryMatchAll(IPAddress.Parse("255.255.255.255"), out var top));
        Assert.Equal(2, top.Count);
        Assert.True(index.TryMatchAll(IPAddress.Parse("10.1.0.0"), out var boundary));
        Assert.Equal(2, boundary.Count);
        Assert.True(index.TryMatchAll(IPAddress.Parse("10.1.0.1"), out var after));
        Assert.Equal(1, after.Count);
        Assert.True(index.TryMatchAll(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), out var v6Top));
        Assert.Equal(2, v6Top.Count);
        Assert.True(index.TryMatchAll(IPAddress.Parse("::1"), out var v6Low));
        Assert.Equal(1, v6Low.Count);
    }
}
