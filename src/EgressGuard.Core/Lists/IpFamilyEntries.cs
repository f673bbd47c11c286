namespace EgressGuard.Lists;

/// <summary>The entries of one family in columns: first, last, source.</summary>
internal sealed class IpFamilyEntries(bool isIPv4, UInt128[]? wide, uint[]? narrow, int[] sources, ListSource[] sourceTable)
{
    public int Count => sources.Length;

    public IpMatch Entry(int index) =>
        isIPv4
            ? new IpMatch(sourceTable[sources[index]], new IpRange(true, narrow![2 * index], narrow[(2 * index) + 1]))
            : new IpMatch(sourceTable[sources[index]], new IpRange(false, wide![2 * index], wide[(2 * index) + 1]));
}
