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
        var builder = new IpRangeIndex.Builder();
        var wide = builder.AddSource("list:wide");
        var narrow = builder.AddSource("list:narrow");
        builder.Add(wide, R("10.0.0.0/8")).Add(narrow, R("10.1.2.3"));
        var index = builder.Build();

        Assert.True(index.TryMatch(IPAddress.Parse("10.1.2.3"), out var m1));
        Assert.Equal("list:narrow", m1.Source);
        Assert.True(index.TryMatch(IPAddress.Parse("10.1.2.4"), out var m2));
        Assert.Equal("list:wide", m2.Source);
        Assert.Equal("10.0.0.0/8", m2.Entry.ToString());
        Assert.True(index.TryMatch(IPAddress.Parse("10.255.255.255"), out _));
        Assert.False(index.TryMatch(IPAddress.Parse("11.0.0.0"), out _));
        Assert.False(index.TryMatch(IPAddress.Parse("9.255.255.255"), out _));
    }

    [Fact]
    public void TryMatch_PartialOverlapAndFamilies_Correct()
    {
        var builder = new IpRangeIndex.Builder();
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
        var builder = new IpRangeIndex.Builder();
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
}
