using System.Net;
using System.Net.Sockets;
using EgressGuard.Addressing;

namespace EgressGuard.Lists;

/// <summary>One entry that covers an address: its source and the range as listed.</summary>
internal readonly record struct IpMatch(ListSource Source, IpRange Entry)
{
    /// <summary>The decision's rule label, e.g. <c>list:admin</c>, <c>feed:feodo</c>.</summary>
    public string Rule => Source.Name;

    public string? Category => Source.Category;
}

/// <summary>Every entry covering one address, most specific first. A view over the index: no allocation.</summary>
internal readonly struct IpMatchSet
{
    private readonly IpRangeIndex.FamilyEntries? _family;
    private readonly int[]? _setEntries;
    private readonly int _offset;

    internal IpMatchSet(IpRangeIndex.FamilyEntries family, int[] setEntries, int offset)
    {
        _family = family;
        _setEntries = setEntries;
        _offset = offset;
    }

    public int Count => _setEntries is null ? 0 : _setEntries[_offset];

    public IpMatch this[int i] => _family!.Entry(_setEntries![_offset + 1 + i]);
}

/// <summary>
/// An immutable index of address ranges from any number of sources (admin lists, threat feeds,
/// the guard), IPv4 as 32-bit and IPv6 as 128-bit keys, 12 bytes per IPv4 entry. Overlapping
/// entries from several sources are all kept and all reported; exact duplicates within a source
/// are kept once. Built off the request path, swapped atomically, read without locks.
/// </summary>
internal sealed class IpRangeIndex
{
    private readonly RangeTable<uint> _v4;
    private readonly RangeTable<UInt128> _v6;
    private readonly FamilyEntries _v4Entries;
    private readonly FamilyEntries _v6Entries;
    private readonly ListSource[] _sources;

    private IpRangeIndex(RangeTable<uint> v4, RangeTable<UInt128> v6, FamilyEntries v4Entries, FamilyEntries v6Entries, ListSource[] sources)
    {
        _v4 = v4;
        _v6 = v6;
        _v4Entries = v4Entries;
        _v6Entries = v6Entries;
        _sources = sources;
    }

    public static IpRangeIndex Empty { get; } = new Builder().Build();

    /// <summary>Distinct entries (exact duplicates within one source counted once).</summary>
    public int EntryCount => _v4Entries.Count + _v6Entries.Count;

    public int SegmentCount => _v4.SegmentCount + _v6.SegmentCount;

    public IReadOnlyList<ListSource> Sources => _sources;

    public bool TryMatchAll(IPAddress address, out IpMatchSet matches)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var offset = _v4.Find(IpNumber.ToUInt32(address));
            matches = offset < 0 ? default : new IpMatchSet(_v4Entries, _v4.SetEntries, offset);
            return offset >= 0;
        }
        else
        {
            var offset = _v6.Find(IpNumber.ToNumber(address));
            matches = offset < 0 ? default : new IpMatchSet(_v6Entries, _v6.SetEntries, offset);
            return offset >= 0;
        }
    }

    /// <summary>The most specific entry covering <paramref name="address"/>.</summary>
    public bool TryMatch(IPAddress address, out IpMatch match)
    {
        if (TryMatchAll(address, out var set))
        {
            match = set[0];
            return true;
        }

        match = default;
        return false;
    }

    public bool Contains(IPAddress address) => TryMatchAll(address, out _);

    /// <summary>The entries of one family in columns: first, last, source.</summary>
    internal sealed class FamilyEntries(bool isIPv4, UInt128[]? wide, uint[]? narrow, int[] sources, ListSource[] sourceTable)
    {
        public int Count => sources.Length;

        public IpMatch Entry(int index) =>
            isIPv4
                ? new IpMatch(sourceTable[sources[index]], new IpRange(true, narrow![2 * index], narrow[(2 * index) + 1]))
                : new IpMatch(sourceTable[sources[index]], new IpRange(false, wide![2 * index], wide[(2 * index) + 1]));
    }

    internal sealed class Builder
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

        public Builder Add(int source, IpRange range)
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

        public Builder AddRange(int source, IEnumerable<IpRange> ranges)
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

        private static (RangeTable<T>, FamilyEntries) BuildFamily<T>(List<T> pairs, List<int> entrySources, ListSource[] sources, bool isIPv4)
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
                ? new FamilyEntries(true, null, flat as uint[], keptSources, sources)
                : new FamilyEntries(false, flat as UInt128[], null, keptSources, sources);
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
}
