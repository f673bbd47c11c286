namespace EgressGuard.Lists;

/// <summary>Every entry covering one address, most specific first. A view over the index: no allocation.</summary>
internal readonly struct IpMatchSet
{
    private readonly IpFamilyEntries? _family;
    private readonly int[]? _setEntries;
    private readonly int _offset;

    internal IpMatchSet(IpFamilyEntries family, int[] setEntries, int offset)
    {
        _family = family;
        _setEntries = setEntries;
        _offset = offset;
    }

    public int Count => _setEntries is null ? 0 : _setEntries[_offset];

    public IpMatch this[int i] => _family!.Entry(_setEntries![_offset + 1 + i]);
}
