namespace EgressGuard.Addressing;

/// <summary>
/// Parses the address forms admins and feeds write: a single address, a CIDR (normalised when host
/// bits are set, with a warning), <c>a.b.c.d/255.255.255.0</c>, and <c>first-last</c> ranges.
/// IPv4-mapped IPv6 entries become IPv4 so that they match the addresses the proxy checks. IPv4
/// is parsed by hand, without allocating: feeds have millions of lines.
/// </summary>
internal static class IpNetworkParser
{
    /// <summary>Parses a known-good entry (built-in tables, tests); throws on anything else.</summary>
    public static IpRange Parse(string text) =>
        TryParse(text, out var range, out _, out var error) ? range : throw new FormatException(error);

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
        var addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText, out var isV4, out var value, out var mappedV6))
        {
            error = slash < 0 ? $"'{text}' is not an IP address, CIDR or range" : $"'{addressText}' is not an IP address";
            return false;
        }

        var maxBits = isV4 ? 32 : 128;
        if (slash < 0)
        {
            range = new IpRange(isV4, value, value);
            return true;
        }

        var prefixText = text[(slash + 1)..];
        int prefix;
        if (isV4 && !mappedV6 && prefixText.Contains('.'))
        {
            if (!TryParseDottedQuad(prefixText, out var mask) || !TryMaskToPrefix(mask, out prefix))
            {
                error = $"'{prefixText}' is not a contiguous netmask";
                return false;
            }
        }
        else if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix))
        {
            error = $"'{prefixText}' is not a prefix length";
            return false;
        }
        else if (mappedV6)
        {
            if (prefix is < 96 or > 128)
            {
                error = $"prefix /{prefix} of IPv4-mapped '{addressText}' must be between 96 and 128";
                return false;
            }

            prefix -= 96;
        }

        if (prefix < 0 || prefix > maxBits)
        {
            error = $"prefix /{prefix} is out of range for {(isV4 ? "IPv4" : "IPv6")}";
            return false;
        }

        var hostBits = maxBits - prefix;
        var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        var first = value & ~hostMask;
        if (isV4)
        {
            first &= uint.MaxValue;
        }

        if (first != value)
        {
            warning = $"'{text}' has host bits set; using {new IpRange(isV4, first, first | hostMask)}";
        }

        range = new IpRange(isV4, first, first | (isV4 ? hostMask & uint.MaxValue : hostMask));
        return true;
    }

    private static bool TryParseRange(ReadOnlySpan<char> firstText, ReadOnlySpan<char> lastText, out IpRange range, out string? error)
    {
        range = default;
        error = null;
        if (!TryParseAddress(firstText, out var firstV4, out var a, out _) || !TryParseAddress(lastText, out var lastV4, out var b, out _))
        {
            error = $"'{firstText}-{lastText}' is not an IP address, CIDR or range";
            return false;
        }

        if (firstV4 != lastV4)
        {
            error = $"'{firstText}-{lastText}' mixes IPv4 and IPv6";
            return false;
        }

        if (a > b)
        {
            error = $"'{firstText}-{lastText}' ends before it starts";
            return false;
        }

        range = new IpRange(firstV4, a, b);
        return true;
    }

    /// <summary>
    /// Strict dotted-quad or IPv6 text only: list entries are data, not URLs, so the odd IPv4
    /// notations that host parsing accepts (<c>127.1</c>, <c>0x7f.1</c>, leading zeros) are refused
    /// here. IPv4-mapped IPv6 comes back as IPv4.
    /// </summary>
    private static bool TryParseAddress(ReadOnlySpan<char> text, out bool isV4, out UInt128 value, out bool mappedV6)
    {
        mappedV6 = false;
        if (!text.Contains(':'))
        {
            isV4 = true;
            var ok = TryParseDottedQuad(text, out var v4);
            value = v4;
            return ok;
        }

        isV4 = false;
        value = default;
        if (text.Contains('%') || !IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            mappedV6 = true;
            isV4 = true;
            value = IpNumber.ToUInt32(address.MapToIPv4());
            return true;
        }

        value = IpNumber.ToNumber(address);
        return true;
    }

    internal static bool TryParseDottedQuad(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        var octets = 0;
        var i = 0;
        while (octets < 4)
        {
            var start = i;
            uint octet = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                octet = (octet * 10) + (uint)(text[i] - '0');
                i++;
                if (i - start > 3)
                {
                    return false;
                }
            }

            var length = i - start;
            if (length == 0 || octet > 255 || (length > 1 && text[start] == '0'))
            {
                return false;
            }

            value = (value << 8) | octet;
            octets++;
            if (octets < 4)
            {
                if (i >= text.Length || text[i] != '.')
                {
                    return false;
                }

                i++;
            }
        }

        return i == text.Length;
    }

    private static bool TryMaskToPrefix(uint mask, out int prefix)
    {
        prefix = System.Numerics.BitOperations.PopCount(mask);
        var expected = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return mask == expected;
    }
}
