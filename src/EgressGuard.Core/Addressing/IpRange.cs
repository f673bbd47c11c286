using System.Numerics;

namespace EgressGuard.Addressing;

/// <summary>
/// An inclusive range of addresses of one family, as numbers: IPv4 values use the low 32 bits.
/// Every list, feed and built-in range is reduced to this form so that one index can hold them all.
/// </summary>
internal readonly record struct IpRange(bool IsIPv4, UInt128 First, UInt128 Last)
{
    public static IpRange FromAddress(IPAddress address)
    {
        var value = IpNumber.ToNumber(address);
        return new IpRange(address.AddressFamily == AddressFamily.InterNetwork, value, value);
    }

    public static IpRange FromNetwork(IPNetwork network)
    {
        var isV4 = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork;
        var bits = isV4 ? 32 : 128;
        var first = IpNumber.ToNumber(network.BaseAddress);
        var hostBits = bits - network.PrefixLength;
        var span = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        return new IpRange(isV4, first, first + span);
    }

    public bool Contains(IpRange other) =>
        IsIPv4 == other.IsIPv4 && First <= other.First && other.Last <= Last;

    /// <summary>Prints the range the way an admin wrote it: a single address, a CIDR, or first-last.</summary>
    public override string ToString()
    {
        var first = IpNumber.ToAddress(IsIPv4, First);
        if (First == Last)
        {
            return first.ToString();
        }

        var size = Last - First;
        if (size != UInt128.MaxValue && UInt128.IsPow2(size + 1) && (First & size) == 0)
        {
            var hostBits = (int)UInt128.Log2(size + 1);
            return $"{first}/{(IsIPv4 ? 32 : 128) - hostBits}";
        }

        if (size == UInt128.MaxValue)
        {
            return "::/0";
        }

        return $"{first}-{IpNumber.ToAddress(IsIPv4, Last)}";
    }
}
