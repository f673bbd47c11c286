using System.Numerics;

namespace EgressGuard.Lists;

/// <summary>
/// Disjoint, sorted segments of one address family; each segment points at the set of entries
/// that cover it (most specific first). A first-level table on the top 16 bits narrows the binary
/// search to one bucket. Lookups allocate nothing and take no lock.
/// </summary>
internal sealed class RangeTable<T>
    where T : struct, IBinaryInteger<T>, IUnsignedNumber<T>
{
    private const int BucketBits = 16;

    private static readonly int Bits = T.PopCount(T.AllBitsSet) is var bits ? int.CreateTruncating(bits) : 0;

    private readonly T[] _starts;
    private readonly T[] _ends;
    private readonly int[] _sets;        // segment → offset of its set in _setEntries
    private readonly int[] _setEntries;  // [count, entry, entry, ...] per set
    private readonly int[] _buckets;     // top-16-bit value → first segment starting at or after it

    private RangeTable(T[] starts, T[] ends, int[] sets, int[] setEntries)
    {
        _starts = starts;
        _ends = ends;
        _sets = sets;
        _setEntries = setEntries;
        _buckets = new int[(1 << BucketBits) + 1];
        var segment = 0;
        for (var bucket = 0; bucket <= 1 << BucketBits; bucket++)
        {
            while (segment < starts.Length && Bucket(starts[segment]) < bucket)
            {
                segment++;
            }

            _buckets[bucket] = segment;
        }
    }

    public static RangeTable<T> Empty { get; } = new([], [], [], []);

    public int SegmentCount => _starts.Length;

    internal int[] SetEntries => _setEntries;

    /// <summary>Offset of the covering set in <see cref="SetEntries"/> (its count first), or -1.</summary>
    public int Find(T value)
    {
        var bucket = Bucket(value);
        // The covering segment starts at or before value: in this bucket, or the last one before it.
        var lo = Math.Max(_buckets[bucket] - 1, 0);
        var hi = _buckets[bucket + 1] - 1;
        var index = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_starts[mid] <= value)
            {
                index = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return index >= 0 && value <= _ends[index] ? _sets[index] : -1;
    }

    private static int Bucket(T value) => int.CreateTruncating(value >>> (Bits - BucketBits));

    /// <summary>
    /// Builds segments from possibly overlapping ranges by one sweep over sorted start and end
    /// points. Each segment's set lists every covering entry, smallest range first, then in the
    /// order added; identical neighbouring sets share storage and contiguous segments merge.
    /// </summary>
    public static RangeTable<T> Build(T[] firsts, T[] lasts, int[] entries)
    {
        var n = firsts.Length;
        if (n == 0)
        {
            return Empty;
        }

        var byStart = new int[n];
        var byEnd = new int[n];
        for (var i = 0; i < n; i++)
        {
            byStart[i] = i;
            byEnd[i] = i;
        }

        if (!IsSorted(firsts))
        {
            Array.Sort((T[])firsts.Clone(), byStart);
        }

        Array.Sort((T[])lasts.Clone(), byEnd);

        var starts = new List<T>(n);
        var ends = new List<T>(n);
        var sets = new List<int>(n);
        var setEntries = new List<int>(n * 2);
        var active = new List<int>();
        var position = new int[n];
        var scratch = new List<int>();
        Comparison<int> mostSpecificFirst = (a, b) =>
        {
            var bySize = (lasts[a] - firsts[a]).CompareTo(lasts[b] - firsts[b]);
            return bySize != 0 ? bySize : entries[a].CompareTo(entries[b]);
        };
        var s = 0;
        var e = 0;
        var previousSet = -1;
        while (s < n || e < n)
        {
            // The next boundary: a range starting, or one ending (at last + 1).
            var nextStart = s < n ? firsts[byStart[s]] : T.Zero;
            var hasEnd = e < n && lasts[byEnd[e]] != T.AllBitsSet;
            var nextEnd = hasEnd ? lasts[byEnd[e]] + T.One : T.Zero;
            T point;
            if (s < n && (!hasEnd || nextStart <= nextEnd))
            {
                point = nextStart;
            }
            else if (hasEnd)
            {
                point = nextEnd;
            }
            else
            {
                break;
            }

            while (e < n && lasts[byEnd[e]] != T.AllBitsSet && lasts[byEnd[e]] + T.One == point)
            {
                Remove(active, position, byEnd[e]);
                e++;
            }

            while (s < n && firsts[byStart[s]] == point)
            {
                position[byStart[s]] = active.Count;
                active.Add(byStart[s]);
                s++;
            }

            if (active.Count == 0)
            {
                continue;
            }

            // This segment runs to just before the next boundary.
            T end;
            var followingStart = s < n ? firsts[byStart[s]] : T.AllBitsSet;
            var followingEndExists = e < n && lasts[byEnd[e]] != T.AllBitsSet;
            if (followingEndExists)
            {
                var candidate = lasts[byEnd[e]];
                end = s < n && followingStart - T.One < candidate ? followingStart - T.One : candidate;
            }
            else
            {
                end = s < n ? followingStart - T.One : T.AllBitsSet;
            }

            scratch.Clear();
            scratch.AddRange(active);
            if (scratch.Count > 1)
            {
                scratch.Sort(mostSpecificFirst);
            }

            if (previousSet >= 0 && SameSet(setEntries, previousSet, scratch, entries))
            {
                if (ends[^1] + T.One == point)
                {
                    ends[^1] = end;
                    continue;
                }
            }
            else
            {
                previousSet = setEntries.Count;
                setEntries.Add(scratch.Count);
                foreach (var index in scratch)
                {
                    setEntries.Add(entries[index]);
                }
            }

            starts.Add(point);
            ends.Add(end);
            sets.Add(previousSet);
            if (end == T.AllBitsSet)
            {
                break;
            }
        }

        return new RangeTable<T>([.. starts], [.. ends], [.. sets], [.. setEntries]);
    }

    private static bool IsSorted(T[] values)
    {
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] < values[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    private static void Remove(List<int> active, int[] position, int index)
    {
        var at = position[index];
        var last = active[^1];
        active[at] = last;
        position[last] = at;
        active.RemoveAt(active.Count - 1);
    }

    private static bool SameSet(List<int> setEntries, int offset, List<int> candidate, int[] entries)
    {
        if (setEntries[offset] != candidate.Count)
        {
            return false;
        }

        for (var i = 0; i < candidate.Count; i++)
        {
            if (setEntries[offset + 1 + i] != entries[candidate[i]])
            {
                return false;
            }
        }

        return true;
    }
}
