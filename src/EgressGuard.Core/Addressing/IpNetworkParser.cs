using System.Net;
using System.Net.Sockets;

namespace EgressGuard.Addressing;

/// <summary>
/// Parses the address forms admins and feeds write: a single address, a CIDR (normalised when host
/// bits are set, with a warning), <c>a.b.c.d/255.255.255.0</c>, and <c>first-last</c> ranges.
/// IPv4-mapped IPv6 entries become IPv4 so that they match the addresses the proxy checks.
/// </summary>
internal static class IpNetworkParser
{
    public static bool TryParse(ReadOnlySpan<char> text, out IpRange range, out string? warning, out string? error)
    {
        range = default;
        warning = null;
        error = null;
        text = text.Trim();
        if (text.IsEmpty)
        {
            error = "empty entry";
            return false;
        }

        var dash = text.IndexOf('-');
        if (dash > 0)
        {
            return TryParseRange(text[..dash].Trim(), text[(dash + 1)..].Trim(), out range, out error);
        }

        var slash = text.IndexOf('/');
        if (slash < 0)
        {
            if (!TryParseAddress(text, out var single))
            {
                error = $"'{text}' is not an IP address, CIDR or range";
                return false;
            }

            range = IpRange.FromAddress(AddressNormalizer.Canonicalize(single));
            return true;
        }

        var addressText = text[..slash];
        var prefixText = text[(slash + 1)..];
        if (!TryParseAddress(addressText, out var address))
        {
            error = $"'{addressText}' is not an IP address";
            return false;
        }

        var mappedV6 = address.IsIPv4MappedToIPv6;
        var raw = address;
        address = AddressNormalizer.Canonicalize(address);
        var maxBits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;

        int prefix;
        if (prefixText.Contains('.') && address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (!IPAddress.TryParse(prefixText, out var mask) || !TryMaskToPrefix(IpNumber.ToUInt32(mask), out prefix))
            {
                error = $"'{prefixText}' is not a contiguous netmask";
                return false;
            }
        }
        else if (!int.TryParse(prefixText, System.Globalization.NumberStyles.None, null, out prefix))
        {
            error = $"'{prefixText}' is not a prefix length";
            return false;
        }
        else if (mappedV6)
        {
            if (prefix < 96 || prefix > 128)
            {
                error = $"prefix /{prefix} of IPv4-mapped '{raw}' must be between 96 and 128";
                return false;
            }

            prefix -= 96;
        }

        if (prefix < 0 || prefix > maxBits)
        {
            error = $"prefix /{prefix} is out of range for {(maxBits == 32 ? "IPv4" : "IPv6")}";
            return false;
        }

        var network = new IPNetwork(MaskAddress(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
        {
            warning = $"'{text}' has host bits set; using {network}";
        }

        range = IpRange.FromNetwork(network);
        return true;
    }

    private static bool TryParseRange(ReadOnlySpan<char> firstText, ReadOnlySpan<char> lastText, out IpRange range, out string? error)
    {
        range = default;
        error = null;
        if (!TryParseAddress(firstText, out var first) || !TryParseAddress(lastText, out var last))
        {
            error = $"'{firstText}-{lastText}' is not an IP address, CIDR or range";
            return false;
        }

        first = AddressNormalizer.Canonicalize(first);
        last = AddressNormalizer.Canonicalize(last);
        if (first.AddressFamily != last.AddressFamily)
        {
            error = $"'{firstText}-{lastText}' mixes IPv4 and IPv6";
            return false;
        }

        var a = IpNumber.ToNumber(first);
        var b = IpNumber.ToNumber(last);
        if (a > b)
        {
            error = $"'{firstText}-{lastText}' ends before it starts";
            return false;
        }

        range = new IpRange(first.AddressFamily == AddressFamily.InterNetwork, a, b);
        return true;
    }

    /// <summary>
    /// Strict dotted-quad or IPv6 text only: list entries are data, not URLs, so the odd IPv4
    /// notations that host parsing accepts (<c>127.1</c>, <c>0x7f.1</c>) are refused here.
    /// </summary>
    private static bool TryParseAddress(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains('%'))
        {
            return false;
        }

        if (!text.Contains(':'))
        {
            var dots = text.Count('.');
            if (dots != 3)
            {
                return false;
            }

            foreach (var part in text.ToString().Split('.'))
            {
                if (part.Length == 0 || part.Length > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit))
                {
                    return false;
                }
            }
        }

        if (!IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    private static bool TryMaskToPrefix(uint mask, out int prefix)
    {
        prefix = System.Numerics.BitOperations.PopCount(mask);
        var expected = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return mask == expected;
    }

    private static IPAddress MaskAddress(IPAddress address, int prefix)
    {
        var isV4 = address.AddressFamily == AddressFamily.InterNetwork;
        var bits = isV4 ? 32 : 128;
        var value = IpNumber.ToNumber(address);
        var hostBits = bits - prefix;
        var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        return IpNumber.ToAddress(isV4, value & ~hostMask);
    }
}
