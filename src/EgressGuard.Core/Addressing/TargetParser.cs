namespace EgressGuard.Addressing;

/// <summary>
/// Parses the authority of a CONNECT or absolute-form request (<c>host:port</c>, <c>[v6]:port</c>)
/// into a <see cref="Target"/>. Everything a name could hide behind is settled here, once: IP
/// literals in any notation .NET accepts (<c>2130706433</c>, <c>0x7f.1</c>, <c>0177.0.0.1</c>,
/// <c>127.1</c>) become addresses, IPv4-mapped IPv6 becomes IPv4, names are lower-cased, stripped
/// of one trailing dot and punycode-encoded. What cannot be settled is refused with a reason.
/// </summary>
internal static class TargetParser
{
    public const int MaxNameLength = 253;
    public const int MaxLabelLength = 63;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>
    /// Whether <paramref name="authority"/> (a Host header, or a TLS server name with the
    /// tunnel's port appended) names the same host and port as <paramref name="target"/>, read
    /// the way the target was (IDN, IP literal notations; no port means the target's).
    /// </summary>
    public static bool NamesHost(string authority, Target target) =>
        TryParseAuthority(authority, target.Port, out var parsed, out _)
        && parsed.Port == target.Port
        && string.Equals(parsed.Host.TrimEnd('.'), target.Host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <param name="authority">The request target (CONNECT) or URI authority (absolute-form).</param>
    /// <param name="defaultPort">Port when none is written, or -1 when a port is required.</param>
    public static bool TryParseAuthority(ReadOnlySpan<char> authority, int defaultPort, out Target target, out string error)
    {
        target = null!;
        if (authority.IsEmpty)
        {
            error = "empty host";
            return false;
        }

        if (authority.Contains('@'))
        {
            error = "userinfo is not allowed in the request target";
            return false;
        }

        ReadOnlySpan<char> hostPart;
        ReadOnlySpan<char> portPart;
        bool hasPort;
        if (authority[0] == '[')
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                error = "unterminated IPv6 literal";
                return false;
            }

            hostPart = authority[1..close];
            var rest = authority[(close + 1)..];
            hasPort = !rest.IsEmpty;
            if (hasPort && rest[0] != ':')
            {
                error = "unexpected text after IPv6 literal";
                return false;
            }

            portPart = hasPort ? rest[1..] : default;
            if (hostPart.Contains('%'))
            {
                error = "IPv6 zone ids are not allowed";
                return false;
            }

            if (!hostPart.Contains(':') || !IPAddress.TryParse(hostPart, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = "invalid IPv6 literal";
                return false;
            }

            if (!TryParsePort(portPart, hasPort, defaultPort, out var v6Port, out error))
            {
                return false;
            }

            var canonical = AddressNormalizer.Canonicalize(v6);
            target = new Target(canonical.ToString(), canonical, v6Port);
            return true;
        }

        var colon = authority.LastIndexOf(':');
        if (colon >= 0 && authority[..colon].Contains(':'))
        {
            error = "IPv6 literals must be in brackets";
            return false;
        }

        hasPort = colon >= 0;
        hostPart = hasPort ? authority[..colon] : authority;
        portPart = hasPort ? authority[(colon + 1)..] : default;
        if (!TryParsePort(portPart, hasPort, defaultPort, out var port, out error))
        {
            return false;
        }

        if (!TryNormalizeHost(hostPart, out var host, out var literal, out error))
        {
            return false;
        }

        target = new Target(host, literal, port);
        return true;
    }

    /// <summary>Normalises a host name or IPv4 literal (no brackets, no port).</summary>
    public static bool TryNormalizeHost(ReadOnlySpan<char> host, out string normalized, out IPAddress? literal, out string error)
    {
        normalized = string.Empty;
        literal = null;
        error = string.Empty;
        if (host.IsEmpty)
        {
            error = "empty host";
            return false;
        }

        var ascii = true;
        foreach (var c in host)
        {
            if (c > 0x7F)
            {
                ascii = false;
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                error = c < 0x20 || c == 0x7F
                    ? $"control character 0x{(int)c:X2} in host"
                    : $"character '{c}' is not allowed in a host name";
                return false;
            }
        }

        var name = host.ToString();
        if (!ascii)
        {
            try
            {
                name = Idn.GetAscii(name);
            }
            catch (ArgumentException)
            {
                error = "host is not a valid internationalised domain name";
                return false;
            }
        }

        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        name = name.ToLowerInvariant();
        if (name.Length == 0)
        {
            error = "empty host";
            return false;
        }

        if (name.Length > MaxNameLength)
        {
            error = $"host name longer than {MaxNameLength} characters";
            return false;
        }

        var lastLabelStart = 0;
        var labelStart = 0;
        for (var i = 0; i <= name.Length; i++)
        {
            if (i == name.Length || name[i] == '.')
            {
                var length = i - labelStart;
                if (length == 0)
                {
                    error = "empty label in host name";
                    return false;
                }

                if (length > MaxLabelLength)
                {
                    error = $"label longer than {MaxLabelLength} characters in host name";
                    return false;
                }

                lastLabelStart = labelStart;
                labelStart = i + 1;
            }
        }

        // As in the WHATWG URL standard: a host whose last label is numeric is an IPv4 address,
        // never a name to send to DNS. .NET parses the decimal, octal, hex and short notations.
        if (LooksNumeric(name.AsSpan(lastLabelStart)))
        {
            if (!IPAddress.TryParse(name, out var v4) || v4.AddressFamily != AddressFamily.InterNetwork)
            {
                error = "invalid IPv4 address";
                return false;
            }

            literal = v4;
            normalized = v4.ToString();
            return true;
        }

        normalized = name;
        return true;
    }

    private static bool LooksNumeric(ReadOnlySpan<char> label)
    {
        if (label.StartsWith("0x"))
        {
            return !label[2..].ContainsAnyExcept(HexDigits);
        }

        return !label.ContainsAnyExceptInRange('0', '9');
    }

    private static bool TryParsePort(ReadOnlySpan<char> text, bool present, int defaultPort, out int port, out string error)
    {
        error = string.Empty;
        port = defaultPort;
        if (!present)
        {
            if (defaultPort > 0)
            {
                return true;
            }

            error = "missing port";
            return false;
        }

        if (text.IsEmpty || text.Length > 5 || text.ContainsAnyExceptInRange('0', '9'))
        {
            error = "invalid port";
            return false;
        }

        port = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535)
        {
            error = $"port {port} out of range 1-65535";
            return false;
        }

        return true;
    }
}
