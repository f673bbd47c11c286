using EgressGuard.Lists;

namespace EgressGuard.Tests.Lists;

/// <summary>The segment table under the IP index, tested directly for both widths it is used with.</summary>
public class RangeTableTests
{
    /// <summary>The entries covering <paramref name="value"/>, in the table's order (most specific first), or empty.</summary>
    private static int[] Covering<T>(RangeTable<T> table, T value)
        where T : struct, System.Numerics.IBinaryInteger<T>, System.Numerics.IUnsignedNumber<T>
    {
        var offset = table.Find(value);
        return offset < 0 ? [] : table.SetEntries.AsSpan(offset + 1, table.SetEntries[offset]).ToArray();
    }

    private static RangeTable<uint> V4(params (uint First, uint Last, int Entry)[] ranges) =>
        RangeTable<uint>.Build(ranges.Select(r => r.First).ToArray(), ranges.Select(r => r.Last).ToArray(), ranges.Select(r => r.Entry).ToArray());

    private static RangeTable<UInt128> V6(params (UInt128 First, UInt128 Last, int Entry)[] ranges) =>
        RangeTable<UInt128>.Build(ranges.Select(r => r.First).ToArray(), ranges.Select(r => r.Last).ToArray(), ranges.Select(r => r.Entry).ToArray());

    [Fact]
    public void Find_EmptyTable_NothingAnywhere()
    {
        var table = RangeTable<uint>.Build([], [], []);

        Assert.Same(RangeTable<uint>.Empty, table);
        Assert.Equal(0, table.SegmentCount);
        Assert.Equal(-1, table.Find(0));
        Assert.Equal(-1, table.Find(0x0A000001));
        Assert.Equal(-1, table.Find(uint.MaxValue));
        Assert.Equal(-1, RangeTable<UInt128>.Empty.Find(UInt128.MaxValue));
    }

    [Fact]
    public void Find_OneRange_InclusiveAtBothEnds()
    {
        var table = V4((100, 200, 7));

        Assert.Equal([7], Covering(table, 100u));
        Assert.Equal([7], Covering(table, 150u));
        Assert.Equal([7], Covering(table, 200u));
        Assert.Empty(Covering(table, 99u));
        Assert.Empty(Covering(table, 201u));
        Assert.Empty(Covering(table, 0u));
        Assert.Empty(Covering(table, uint.MaxValue));
    }

    [Fact]
    public void Find_SingleAddresses_OnlyThemselves()
    {
        var table = V4((0x0A000001, 0x0A000001, 1), (0x0A000003, 0x0A000003, 2));

        Assert.Equal([1], Covering(table, 0x0A000001u));
        Assert.Empty(Covering(table, 0x0A000002u));
        Assert.Equal([2], Covering(table, 0x0A000003u));
        Assert.Equal(2, table.SegmentCount);
    }

    [Fact]
    public void Find_EdgesOfTheAddressSpace_Covered()
    {
        var table = V4((0, 0, 1), (uint.MaxValue, uint.MaxValue, 2));

        Assert.Equal([1], Covering(table, 0u));
        Assert.Empty(Covering(table, 1u));
        Assert.Empty(Covering(table, uint.MaxValue - 1));
        Assert.Equal([2], Covering(table, uint.MaxValue));
    }

    [Fact]
    public void Find_WholeSpace_EverythingOneSegment()
    {
        var table = V4((0, uint.MaxValue, 3));

        Assert.Equal(1, table.SegmentCount);
        foreach (var value in new uint[] { 0, 1, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, uint.MaxValue })
        {
            Assert.Equal([3], Covering(table, value));
        }
    }

    [Fact]
    public void Find_WholeSpaceAndNarrowInside_NarrowFirstThenWide()
    {
        var table = V4((0, uint.MaxValue, 1), (0xC0000200, 0xC00002FF, 2));

        Assert.Equal([2, 1], Covering(table, 0xC0000200u));
        Assert.Equal([2, 1], Covering(table, 0xC00002FFu));
        Assert.Equal([1], Covering(table, 0xC00001FFu));
        Assert.Equal([1], Covering(table, 0xC0000300u));
        Assert.Equal([1], Covering(table, uint.MaxValue));
        Assert.Equal(3, table.SegmentCount);
    }

    [Fact]
    public void Find_NestedRanges_MostSpecificFirst()
    {
        // 10.0.0.0/8 ⊃ 10.1.0.0/16 ⊃ 10.1.2.0/24, added widest first.
        var table = V4((0x0A000000, 0x0AFFFFFF, 8), (0x0A010000, 0x0A01FFFF, 16), (0x0A010200, 0x0A0102FF, 24));

        Assert.Equal([24, 16, 8], Covering(table, 0x0A010203u));
        Assert.Equal([16, 8], Covering(table, 0x0A010300u));
        Assert.Equal([8], Covering(table, 0x0A020000u));
        Assert.Empty(Covering(table, 0x0B000000u));
    }

    [Fact]
    public void Find_PartialOverlap_BothInTheMiddleEachAlone()
    {
        var table = V4((100, 200, 1), (150, 300, 2));

        Assert.Equal([1], Covering(table, 149u));
        Assert.Equal([1, 2], Covering(table, 150u));   // same size: in entry order
        Assert.Equal([1, 2], Covering(table, 200u));
        Assert.Equal([2], Covering(table, 201u));
        Assert.Equal([2], Covering(table, 300u));
        Assert.Empty(Covering(table, 301u));
    }

    [Fact]
    public void Find_IdenticalRanges_AllListedInEntryOrder()
    {
        var table = V4((500, 600, 9), (500, 600, 3), (500, 600, 5));

        Assert.Equal([3, 5, 9], Covering(table, 550u));
        Assert.Equal(1, table.SegmentCount);
    }

    [Fact]
    public void Build_AdjacentRangesOfOneEntry_MergedIntoOneSegment()
    {
        var table = V4((0, 99, 4), (100, 199, 4), (200, 299, 4));

        Assert.Equal(1, table.SegmentCount);
        Assert.Equal([4], Covering(table, 150u));
        Assert.Empty(Covering(table, 300u));
    }

    [Fact]
    public void Build_AdjacentRangesOfDifferentEntries_KeptApart()
    {
        var table = V4((0, 99, 1), (100, 199, 2));

        Assert.Equal(2, table.SegmentCount);
        Assert.Equal([1], Covering(table, 99u));
        Assert.Equal([2], Covering(table, 100u));
    }

    [Fact]
    public void Build_SameEntryWithGap_NotMergedAcrossTheGap()
    {
        var table = V4((0, 99, 4), (101, 199, 4));

        Assert.Empty(Covering(table, 100u));
        Assert.Equal([4], Covering(table, 101u));
    }

    [Fact]
    public void Build_NeighbouringSegmentsWithSameSet_StorageShared()
    {
        // Two segments of entry 4 with a gap between: not merged, but one stored set.
        var table = V4((0, 99, 4), (101, 199, 4));

        Assert.Equal(2, table.SegmentCount);
        Assert.Equal(table.Find(50), table.Find(150));
        Assert.Equal(2, table.SetEntries.Length);
    }

    [Fact]
    public void Build_SameSetEitherSideOfAnother_SameEntries()
    {
        // 1 covers 0-299, 2 covers 100-199: segments {1}, {1,2}, {1}.
        var table = V4((0, 299, 1), (100, 199, 2));

        Assert.Equal(3, table.SegmentCount);
        Assert.Equal([1], Covering(table, 50u));
        Assert.Equal([2, 1], Covering(table, 150u));
        Assert.Equal([1], Covering(table, 250u));
    }

    [Fact]
    public void Build_UnsortedInput_SameAnswersAsSorted()
    {
        var sorted = V4((10, 20, 1), (30, 40, 2), (50, 60, 3));
        var shuffled = V4((50, 60, 3), (10, 20, 1), (30, 40, 2));

        for (uint value = 0; value <= 70; value++)
        {
            Assert.Equal(Covering(sorted, value), Covering(shuffled, value));
        }
    }

    [Fact]
    public void Build_InputArrays_NotModified()
    {
        uint[] firsts = [50, 10, 30];
        uint[] lasts = [60, 20, 40];
        int[] entries = [3, 1, 2];

        RangeTable<uint>.Build(firsts, lasts, entries);

        Assert.Equal([50u, 10u, 30u], firsts);
        Assert.Equal([60u, 20u, 40u], lasts);
        Assert.Equal([3, 1, 2], entries);
    }

    [Theory]
    [InlineData(0x0000FFFFu, 0x00010000u)]   // across the first bucket boundary
    [InlineData(0x0AFFFFFFu, 0x0B000000u)]
    [InlineData(0xFFFEFFFFu, 0xFFFF0000u)]   // into the last bucket
    public void Find_RangeAcrossBucketBoundary_BothSidesCovered(uint first, uint last)
    {
        var table = V4((first, last, 1));

        Assert.Equal([1], Covering(table, first));
        Assert.Equal([1], Covering(table, last));
        Assert.Empty(Covering(table, first - 1));
        Assert.Empty(Covering(table, last + 1));
    }

    [Fact]
    public void Find_WideRangeStartingBucketsEarlier_FoundFromALaterBucket()
    {
        // 10.0.0.0/8 starts in bucket 0x0A00; the buckets 0x0A01..0x0AFF hold no segment start
        // and must fall back to the segment before them.
        var table = V4((0x01000000, 0x01000000, 1), (0x0A000000, 0x0AFFFFFF, 2), (0x0C000000, 0x0C000000, 3));

        Assert.Equal([2], Covering(table, 0x0AC80101u));
        Assert.Equal([2], Covering(table, 0x0AFFFFFFu));
        Assert.Empty(Covering(table, 0x0B000000u));
        Assert.Empty(Covering(table, 0x05000000u));
    }

    [Fact]
    public void Find_ManySegmentsInOneBucket_EachFound()
    {
        var ranges = Enumerable.Range(0, 500).Select(i => ((uint)(i * 4), (uint)(i * 4 + 1), i)).ToArray();
        var table = V4(ranges);

        Assert.Equal(500, table.SegmentCount);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal([i], Covering(table, (uint)(i * 4)));
            Assert.Equal([i], Covering(table, (uint)(i * 4 + 1)));
            Assert.Empty(Covering(table, (uint)(i * 4 + 2)));
            Assert.Empty(Covering(table, (uint)(i * 4 + 3)));
        }
    }

    [Fact]
    public void Find_Ipv6_EdgesNestingAndBuckets()
    {
        var documentation = UInt128.Parse("20010db8000000000000000000000000", System.Globalization.NumberStyles.HexNumber, null);
        var docLast = documentation + ((UInt128.One << 96) - 1);
        var table = V6(
            (UInt128.Zero, UInt128.MaxValue, 1),      // ::/0
            (documentation, docLast, 2),               // 2001:db8::/32
            (UInt128.One, UInt128.One, 3),             // ::1
            (UInt128.MaxValue, UInt128.MaxValue, 4));  // the last address

        Assert.Equal([1], Covering(table, UInt128.Zero));
        Assert.Equal([3, 1], Covering(table, UInt128.One));
        Assert.Equal([1], Covering(table, (UInt128)2));
        Assert.Equal([2, 1], Covering(table, documentation));
        Assert.Equal([2, 1], Covering(table, docLast));
        Assert.Equal([1], Covering(table, docLast + 1));
        Assert.Equal([1], Covering(table, documentation - 1));
        Assert.Equal([4, 1], Covering(table, UInt128.MaxValue));
        Assert.Equal([1], Covering(table, UInt128.MaxValue - 1));
    }

    [Fact]
    public void Find_Ipv6WithoutWholeSpace_GapsEmpty()
    {
        var top = UInt128.MaxValue - 0xFFFF;
        var table = V6((UInt128.One, UInt128.One, 1), (top, UInt128.MaxValue, 2));

        Assert.Empty(Covering(table, UInt128.Zero));
        Assert.Equal([1], Covering(table, UInt128.One));
        Assert.Empty(Covering(table, (UInt128)2));
        Assert.Empty(Covering(table, top - 1));
        Assert.Equal([2], Covering(table, top));
        Assert.Equal([2], Covering(table, UInt128.MaxValue));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Build_RandomOverlaps_EverySetAgreesWithLinearScan(int seed)
    {
        // Small values so ranges collide often, some reaching the top of the space.
        var random = new Random(seed);
        var ranges = new List<(uint First, uint Last, int Entry)>();
        for (var i = 0; i < 200; i++)
        {
            var first = (uint)random.Next(0, 5_000);
            var last = random.Next(10) == 0 ? uint.MaxValue : first + (uint)random.Next(0, 400);
            ranges.Add((first, last, random.Next(0, 50)));
        }

        ranges.Add((0, 0, 77));
        var table = V4([.. ranges]);

        for (uint value = 0; value < 5_500; value++)
        {
            AssertAgrees(ranges, table, value);
        }

        foreach (var value in new[] { 0x10000u, 0x7FFFFFFFu, uint.MaxValue - 1, uint.MaxValue })
        {
            AssertAgrees(ranges, table, value);
        }
    }

    [Fact]
    public void Build_RandomWideIpv6Ranges_AgreesWithLinearScan()
    {
        var random = new Random(7);
        var ranges = new List<(UInt128 First, UInt128 Last, int Entry)>();
        var probes = new List<UInt128> { UInt128.Zero, UInt128.MaxValue };
        for (var i = 0; i < 150; i++)
        {
            var first = new UInt128((ulong)random.NextInt64(), (ulong)random.NextInt64());
            var size = new UInt128((ulong)random.NextInt64(0, 1L << 40), (ulong)random.NextInt64());
            var last = UInt128.MaxValue - first < size ? UInt128.MaxValue : first + size;
            ranges.Add((first, last, i % 20));
            probes.AddRange([first, last, first - 1, last + 1, first + (size / 2)]);
        }

        var table = V6([.. ranges]);

        foreach (var probe in probes)
        {
            var expected = ranges.Where(r => r.First <= probe && probe <= r.Last)
                .OrderBy(r => r.Last - r.First).ThenBy(r => r.Entry).Select(r => r.Entry).ToArray();
            Assert.Equal(expected, Covering(table, probe));
        }
    }

    private static void AssertAgrees(List<(uint First, uint Last, int Entry)> ranges, RangeTable<uint> table, uint value)
    {
        var expected = ranges.Where(r => r.First <= value && value <= r.Last)
            .OrderBy(r => r.Last - r.First).ThenBy(r => r.Entry).Select(r => r.Entry).ToArray();
        var actual = Covering(table, value);
        Assert.True(expected.SequenceEqual(actual), $"at {value}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]");
    }
}
