namespace EgressGuard.Lists;

/// <summary>
/// An immutable index of address ranges from any number of sources (admin lists, threat feeds,
/// the guard), IPv4 as 32-bit and IPv6 as 128-bit keys, 12 bytes per IPv4 entry. Overlapping
/// entries from several sources are all kept and all reported; exact duplicates within a source
/// are kept once. Built off the request path, swapped atomically, read without locks.
/// </summary>
internal sealed class IpRangeIndex(RangeTable<uint> v4, RangeTable<UInt128> v6, IpFamilyEntries v4Entries, IpFamilyEntries v6Entries, ListSource[] sources)
{
    public static IpRangeIndex Empty { get; } = new IpRangeIndexBuilder().Build();

    /// <summary>Distinct entries (exact duplicates within one source counted once).</summary>
    public int EntryCount => v4Entries.Count + v6Entries.Count;

    public int SegmentCount => v4.SegmentCount + v6.SegmentCount;

    public IReadOnlyList<ListSource> Sources => sources;

    public bool TryMatchAll(IPAddress address, out IpMatchSet matches)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var offset = v4.Find(IpNumber.ToUInt32(address));
            matches = offset < 0 ? default : new IpMatchSet(v4Entries, v4.SetEntries, offset);
            return offset >= 0;
        }
        else
        {
            var offset = v6.Find(IpNumber.ToNumber(address));
            matches = offset < 0 ? default : new IpMatchSet(v6Entries, v6.SetEntries, offset);
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

    /// <summary>Every entry as listed, with its source (IPv4 first); for comparing two snapshots off the request path.</summary>
    public IEnumerable<IpMatch> Entries()
    {
        for (var i = 0; i < v4Entries.Count; i++)
        {
            yield return v4Entries.Entry(i);
        }

        for (var i = 0; i < v6Entries.Count; i++)
        {
            yield return v6Entries.Entry(i);
        }
    }
}
