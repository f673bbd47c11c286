namespace EgressGuard.Policy;

/// <summary>
/// The form of a request path that path rules are matched against, and the paths refused because
/// servers would read them differently. From the path as the client wrote it (no query):
/// 1. refused: control characters or invalid/overlong UTF-8 (encoded or not), a double-encoded
///    dot, slash or backslash (<c>%252e</c>), and any segment that becomes <c>.</c> or <c>..</c>
///    only under some server's reading (<c>..;</c>, <c>..%2F</c>, <c>%2e%2e</c> inside a segment,
///    <c>..\</c>, <c>..%20</c>): whether it climbs a level depends on the server, so no single
///    reading is safe to decide on;
/// 2. matched: percent-decoded throughout (<c>%2F</c> becomes <c>/</c>), <c>\</c> read as
///    <c>/</c>, path parameters (<c>;jsessionid=…</c>) and trailing dots and spaces of a segment
///    dropped (Windows servers ignore them), empty segments merged, dot segments removed: the
///    widest reading, so that encoding cannot slip a request past a deny.
/// The request itself is forwarded as written.
/// </summary>
internal static class RequestPath
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryCanonicalize(string raw, out string canonical, out string error)
    {
        canonical = "/";
        if (raw.Length == 0 || raw[0] != '/')
        {
            error = "only origin-form request targets (starting with '/') are accepted here";
            return false;
        }

        var output = new List<string>();
        var rawSegments = raw.Split('/');
        for (var r = 1; r < rawSegments.Length; r++)
        {
            var rawSegment = rawSegments[r];
            if (!TryDecode(rawSegment, out var decoded, out error))
            {
                return false;
            }

            var literalDot = rawSegment is "." or "..";
            foreach (var piece in decoded.Replace('\\', '/').Split('/'))
            {
                var semicolon = piece.IndexOf(';', StringComparison.Ordinal);
                var name = semicolon >= 0 ? piece[..semicolon] : piece;
                var trimmed = name.TrimEnd('.', ' ');
                var dot = piece is "." or ".." || name is "." or ".." || (trimmed.Length == 0 && name.Length > 0 && name.Contains('.', StringComparison.Ordinal));
                if (dot && !literalDot)
                {
                    error = $"ambiguous path segment '{PrintableText.Of(rawSegment, 64)}': servers disagree on whether it is a dot segment";
                    return false;
                }

                if (literalDot)
                {
                    if (rawSegment == ".." && output.Count > 0)
                    {
                        output.RemoveAt(output.Count - 1);
                    }

                    continue;
                }

                if (trimmed.Length > 0)
                {
                    output.Add(trimmed);
                }
            }
        }

        var trailing = raw.EndsWith('/') && output.Count > 0;
        canonical = "/" + string.Join('/', output) + (trailing ? "/" : string.Empty);
        error = string.Empty;
        return true;
    }

    private static bool TryDecode(string segment, out string decoded, out string error)
    {
        decoded = segment;
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length || !Uri.IsHexDigit(segment[i + 1]) || !Uri.IsHexDigit(segment[i + 2]))
                {
                    error = "invalid percent-encoding in the path";
                    return false;
                }

                bytes.Add((byte)Convert.ToInt32(segment.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c > 0x7F)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        if (bytes.Any(b => b < 0x20 || b == 0x7F))
        {
            error = "the path contains control characters (encoded or not)";
            return false;
        }

        try
        {
            decoded = StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            error = "the path is not valid UTF-8 once decoded (overlong or broken sequences)";
            return false;
        }

        if (decoded.Contains("%2e", StringComparison.OrdinalIgnoreCase) || decoded.Contains("%2f", StringComparison.OrdinalIgnoreCase) || decoded.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            error = "the path holds a double-encoded dot, slash or backslash";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>The path part of an origin-form target as written (query and fragment cut).</summary>
    public static string PathOf(string rawTarget)
    {
        var end = rawTarget.AsSpan().IndexOfAny('?', '#');
        return end < 0 ? rawTarget : rawTarget[..end];
    }
}
