namespace EgressGuard.Lists;

/// <summary>Collects the ranges of each source, then builds one immutable <see cref="IpRangeIndex"/>: sorted, exact duplicates within a source kept once.</summary>
internal sealed class IpRangeIndexBuilder
{
    private readonly List<ListSource> _sources = [];
    private readonly List<uint> _v4 = [];          // first, last pairs
    private readonly List<int> _v4Sources = [];
    private readonly List<UInt128> _v6 = [];
    private readonly List<int> _v6Sources = [];

    public int AddSource(string name) => AddSource(new ListSource(name));

    public int AddSource(ListSource source)
    {
        _sources.Add(source);
        return _sources.Count - 1;
    }

    public IpRangeIndexBuilder Add(int source, IpRange range)
    {
        if (range.IsIPv4)
        {
            _v4.Add((uint)range.First);
            _v4.Add((uint)range.Last);
            _v4Sources.Add(source);
        }
        else
        {
            _v6.Add(range.First);
            _v6.Add(range.Last);
            _v6Sources.Add(source);
        }

        return this;
    }

    public IpRangeIndexBuilder AddRange(int source, IEnumerable<IpRange> ranges)
    {
        foreach (var range in ranges)
        {
            Add(source, range);
        }

        return this;
    }

    public IpRangeIndex Build()
    {
        var sources = _sources.ToArray();
        var (v4Table, v4Entries) = BuildFamily(_v4, _v4Sources, sources, isIPv4: true);
        var (v6Table, v6Entries) = BuildFamily(_v6, _v6Sources, sources, isIPv4: false);
        return new IpRangeIndex(v4Table, v6Table, v4Entries, v6Entries, sources);
    }

    private static (RangeTable<T>, IpFamilyEntries) BuildFamily<T>(List<T> pairs, List<int> entrySources, ListSource[] sources, bool isIPv4)
        where T : struct, System.Numerics.IBinaryInteger<T>, System.Numerics.IUnsignedNumber<T>
    {
        // Sort by (first, last, then insertion order) and keep each distinct (range, source) once.
        var n = entrySources.Count;
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        if (typeof(T) == typeof(uint))
        {
            // IPv4: one primitive sort on a 64-bit (first, last) key; Array.Sort is not
            // stable, so equal keys are put back in insertion order below.
            var keys = new ulong[n];
            for (var i = 0; i < n; i++)
            {
                keys[i] = ((ulong)uint.CreateTruncating(pairs[2 * i]) << 32) | uint.CreateTruncating(pairs[(2 * i) + 1]);
            }

            Array.Sort(keys, order);
            for (var start = 0; start < n;)
            {
                var end = start + 1;
                while (end < n && keys[end] == keys[start])
                {
                    end++;
                }

                if (end - start > 1)
                {
                    Array.Sort(order, start, end - start);
                }

                start = end;
            }
        }
        else
        {
            Array.Sort(order, (a, b) =>
            {
                var c = pairs[2 * a].CompareTo(pairs[2 * b]);
                if (c == 0)
                {
                    c = pairs[(2 * a) + 1].CompareTo(pairs[(2 * b) + 1]);
                }

                return c != 0 ? c : a.CompareTo(b);
            });
        }

        var firsts = new List<T>(n);
        var lasts = new List<T>(n);
        var kept = new List<int>(n);
        var runStart = 0;
        for (var k = 0; k < n; k++)
        {
            var i = order[k];
            var first = pairs[2 * i];
            var last = pairs[(2 * i) + 1];
            if (firsts.Count == 0 || firsts[^1] != first || lasts[^1] != last)
            {
                runStart = firsts.Count;
            }
            else if (IsDuplicate(kept, runStart, entrySources[i], entrySources))
            {
                continue;
            }

            firsts.Add(first);
            lasts.Add(last);
            kept.Add(i);
        }

        var count = kept.Count;
        var ids = new int[count];
        var keptSources = new int[count];
        var flat = new T[2 * count];
        for (var j = 0; j < count; j++)
        {
            ids[j] = j;
            keptSources[j] = entrySources[kept[j]];
            flat[2 * j] = firsts[j];
            flat[(2 * j) + 1] = lasts[j];
        }

        var table = RangeTable<T>.Build([.. firsts], [.. lasts], ids);
        var entries = isIPv4
            ? new IpFamilyEntries(true, null, flat as uint[], keptSources, sources)
            : new IpFamilyEntries(false, flat as UInt128[], null, keptSources, sources);
        return (table, entries);
    }

    private static bool IsDuplicate(List<int> kept, int runStart, int source, List<int> entrySources)
    {
        for (var j = runStart; j < kept.Count; j++)
        {
            if (entrySources[kept[j]] == source)
            {
                return true;
            }
        }

        return false;
    }
}
