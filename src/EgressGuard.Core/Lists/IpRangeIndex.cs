using System.Net;
using System.Net.Sockets;
using EgressGuard.Addressing;

namespace EgressGuard.Lists;

/// <summary>Which list and which entry of it matched an address.</summary>
internal readonly record struct IpMatch(string Source, IpRange Entry, string? Category);

/// <summary>
/// An immutable index of address ranges from any number of named sources (admin lists, threat
/// feeds, the built-in guard). Built once, swapped atomically, read without locks.
/// </summary>
internal sealed class IpRangeIndex
{
    private readonly RangeTable<uint> _v4;
    private readonly RangeTable<UInt128> _v6;
    private readonly IpIndexEntry[] _entries;
    private readonly string[] _sources;

    private IpRangeIndex(RangeTable<uint> v4, RangeTable<UInt128> v6, IpIndexEntry[] entries, string[] sources)
    {
        _v4 = v4;
        _v6 = v6;
        _entries = entries;
        _sources = sources;
    }

    public static IpRangeIndex Empty { get; } = new(RangeTable<uint>.Empty, RangeTable<UInt128>.Empty, [], []);

    /// <summary>Number of entries as added (before overlapping ranges were merged).</summary>
    public int EntryCount => _entries.Length;

    public int SegmentCount => _v4.SegmentCount + _v6.SegmentCount;

    public bool TryMatch(IPAddress address, out IpMatch match)
    {
        int entry;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            entry = _v4.Find(IpNumber.ToUInt32(address));
        }
        else
        {
            entry = _v6.Find(IpNumber.ToNumber(address));
        }

        if (entry < 0)
        {
            match = default;
            return false;
        }

        var e = _entries[entry];
        match = new IpMatch(_sources[e.Source], e.Range, e.Category);
        return true;
    }

    internal readonly record struct IpIndexEntry(int Source, IpRange Range, string? Category);

    internal sealed class Builder
    {
        private readonly List<string> _sources = [];
        private readonly List<IpIndexEntry> _entries = [];

        public int AddSource(string name)
        {
            _sources.Add(name);
            return _sources.Count - 1;
        }

        public Builder Add(int source, IpRange range, string? category = null)
        {
            _entries.Add(new IpIndexEntry(source, range, category));
            return this;
        }

        public IpRangeIndex Build()
        {
            var v4 = new List<(uint, uint, int)>();
            var v6 = new List<(UInt128, UInt128, int)>();
            for (var i = 0; i < _entries.Count; i++)
            {
                var r = _entries[i].Range;
                if (r.IsIPv4)
                {
                    v4.Add(((uint)r.First, (uint)r.Last, i));
                }
                else
                {
                    v6.Add((r.First, r.Last, i));
                }
            }

            return new IpRangeIndex(RangeTable<uint>.Build(v4), RangeTable<UInt128>.Build(v6), [.. _entries], [.. _sources]);
        }
    }
}
