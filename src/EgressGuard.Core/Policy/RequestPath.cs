using System.Text;

namespace EgressGuard.Policy;

/// <summary>
/// The form of a request path that path rules are matched against: the widest reading any server
/// might make of it, so that encoding cannot slip a request past a deny (or outside an allowed
/// prefix). From the path as the client wrote it (no query): percent-decoded throughout (<c>%2F</c>
/// becomes <c>/</c>), <c>\</c> read as <c>/</c>, path parameters (<c>;jsessionid=…</c>, <c>..;</c>)
/// dropped from each segment, empty segments merged, dot segments removed. The request itself is
/// forwarded as written; only the matching uses this form. A path that decodes to control
/// characters or is not a path at all is refused.
/// </summary>
internal static class RequestPath
{
    public static bool TryCanonicalize(string raw, out string canonical, out string error)
    {
        canonical = "/";
        if (raw.Length == 0 || raw[0] != '/')
        {
            error = "only origin-form request targets (starting with '/') are accepted here";
            return false;
        }

        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !Uri.IsHexDigit(raw[i + 1]) || !Uri.IsHexDigit(raw[i + 2]))
                {
                    error = "invalid percent-encoding in the path";
                    return false;
                }

                bytes.Add((byte)Convert.ToInt32(raw.Substring(i + 1, 2), 16));
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

        // 0xC0 and 0xC1 start only overlong encodings (%C0%AF for '/'), which some old servers decode.
        if (bytes.Any(b => b is 0xC0 or 0xC1))
        {
            error = "the path contains an overlong UTF-8 encoding";
            return false;
        }

        var decoded = Encoding.UTF8.GetString(bytes.ToArray()).Replace('\\', '/');
        var output = new List<string>();
        foreach (var part in decoded.Split('/'))
        {
            var semicolon = part.IndexOf(';', StringComparison.Ordinal);
            var segment = semicolon >= 0 ? part[..semicolon] : part;
            if (segment is not ("." or ".."))
            {
                // Windows servers ignore trailing dots and spaces in a name: "upload." is "upload".
                segment = segment.TrimEnd('.', ' ');
            }

            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                continue;
            }

            output.Add(segment);
        }

        var trailing = decoded.EndsWith('/') && output.Count > 0;
        canonical = "/" + string.Join('/', output) + (trailing ? "/" : string.Empty);
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
