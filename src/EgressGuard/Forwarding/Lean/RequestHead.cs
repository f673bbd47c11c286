using System.IO.Pipelines;
using Microsoft.Extensions.Primitives;

namespace EgressGuard.Forwarding.Lean;

/// <summary>
/// Writes the upstream request head straight into the connection's pipe: the request line in
/// origin-form, the original Host, then the client's headers under the same rules as the YARP
/// path (<see cref="ForwardTransformer"/>): hop-by-hop headers, every <c>Proxy-*</c> header, every
/// header the client named in <c>Connection</c> and <c>X-Content-Length</c> dropped; our <c>Via</c>
/// entry appended when configured; nothing else added. The body's framing is the proxy's own:
/// <c>Content-Length</c> with the length Kestrel framed the client's body by, or
/// <c>Transfer-Encoding: chunked</c>; the client's own framing headers are never copied, so a
/// <c>Connection: Content-Length</c> cannot strip the length from a request whose body is still
/// sent (which the server would read as a second, unchecked request).
/// </summary>
internal static class RequestHead
{
    /// <summary>Hop-by-hop (RFC 9110 §7.6.1) and the headers YARP never forwards either; Host is written first by us.</summary>
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Close",
        "HTTP2-Settings", "Alt-Used", "Content-Length", HttpForwardHandler.DroppedContentLength,
    };

    public static void Write(PipeWriter writer, HttpRequest request, string pathAndQuery, string hostHeader, string? via, bool chunked)
    {
        Ascii(writer, request.Method);
        Ascii(writer, " ");
        Ascii(writer, pathAndQuery);
        Ascii(writer, " HTTP/1.1\r\nHost: ");
        Ascii(writer, hostHeader);
        Ascii(writer, "\r\n");
        var connection = request.Headers.Connection;
        foreach (var (name, values) in request.Headers)
        {
            if (Dropped.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) || Named(connection, name) || (via is not null && name.Equals("Via", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            foreach (var value in values)
            {
                Field(writer, name, value ?? string.Empty);
            }
        }

        if (chunked)
        {
            Ascii(writer, "Transfer-Encoding: chunked\r\n");
        }
        else if (request.ContentLength is { } length)
        {
            Field(writer, "Content-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (via is not null)
        {
            // Appended after the client's own entries, as RFC 9110 asks, on one line as the YARP path writes it.
            var theirs = request.Headers.Via;
            Field(writer, "Via", theirs.Count > 0 ? string.Join(", ", theirs.Append(via)) : via);
        }

        Ascii(writer, "\r\n");
    }

    /// <summary>True when the client's <c>Connection</c> header names this header: it was meant for us alone.</summary>
    private static bool Named(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            var text = (value ?? string.Empty).AsSpan();
            foreach (var token in text.Split(','))
            {
                if (text[token].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void Field(PipeWriter writer, string name, string value)
    {
        Ascii(writer, name);
        Ascii(writer, ": ");
        Ascii(writer, value);
        Ascii(writer, "\r\n");
    }

    /// <summary>Latin-1, as Kestrel decoded it: the bytes the client sent.</summary>
    private static void Ascii(PipeWriter writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        var written = Encoding.Latin1.GetBytes(text, span);
        writer.Advance(written);
    }
}
