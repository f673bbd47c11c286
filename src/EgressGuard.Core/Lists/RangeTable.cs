using System.Numerics;

namespace EgressGuard.Lists;

/// <summary>
/// Disjoint, sorted segments of one address family, each pointing at the entry that decides it.
/// Lookup is one binary search over a flat array: no allocation, no locks, cache-friendly for
/// millions of ranges (IPv4 uses 32-bit keys, 12 bytes a segment).
/// </summary>
internal sealed class RangeTable<T>
    where T : struct, IBinaryInteger<T>, IUnsignedNumber<T>
{
    private readonly T[] _starts;
    private readonly T[] _ends;
    private readonly int[] _entries;

    public RangeTable(T[] starts, T[] ends, int[] entries)
    {
        _starts = starts;
        _ends = ends;
        _entries = entries;
    }

    public static RangeTable<T> Empty { get; } = new([], [], []);

    public int SegmentCount => _starts.Length;

    /// <summary>The entry index covering <paramref name="value"/>, or -1.</summary>
    public int Find(T value)
    {
        var index = Array.BinarySearch(_starts, value);
        if (index < 0)
        {
            index = ~index - 1;
            if (index < 0)
            {
                return -1;
            }
        }

        return value <= _ends[index] ? _entries[index] : -1;
    }

    /// <summary>
    /// Builds segments from possibly overlapping ranges. Where ranges overlap the most specific
    /// (smallest) one decides, then the one added first: a /32 inside a listed /8 is reported as the
    /// /32, which is what an investigator wants to see.
    /// </summary>
    public static RangeTable<T> Build(IReadOnlyList<(T First, T Last, int Entry)> ranges)
    {
        if (ranges.Count == 0)
        {
            return Empty;
        }

        var events = new List<(T Point, bool Start, int Index)>(ranges.Count * 2);
        for (var i = 0; i < ranges.Count; i++)
        {
            events.Add((ranges[i].First, true, i));
            if (ranges[i].Last != T.AllBitsSet)
            {
                events.Add((ranges[i].Last + T.One, false, i));
            }
        }

        events.Sort(static (a, b) => a.Point.CompareTo(b.Point));

        // Active ranges ordered by (size, insertion order): Min is the most specific.
        var active = new SortedSet<(T Size, int Index)>();
        var starts = new List<T>();
        var ends = new List<T>();
        var entries = new List<int>();
        var e = 0;
        while (e < events.Count)
        {
            var point = events[e].Point;
            for (; e < events.Count && events[e].Point == point; e++)
            {
                var (_, isStart, index) = events[e];
                var size = ranges[index].Last - ranges[index].First;
                if (isStart)
                {
                    active.Add((size, index));
                }
                else
                {
                    active.Remove((size, index));
                }
            }

            if (active.Count == 0)
            {
                continue;
            }

            var end = e < events.Count ? events[e].Point - T.One : T.AllBitsSet;
            var entry = ranges[active.Min.Index].Entry;
            if (entries.Count > 0 && entries[^1] == entry && ends[^1] + T.One == point)
            {
                ends[^1] = end;
                continue;
            }

            starts.Add(point);
            ends.Add(end);
            entries.Add(entry);
        }

        return new RangeTable<T>([.. starts], [.. ends], [.. entries]);
    }
}
