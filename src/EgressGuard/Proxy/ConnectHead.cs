namespace EgressGuard.Proxy;

/// <summary>A parsed CONNECT request head.</summary>
internal sealed record ConnectHead(string RawTarget, Target Target, string? UserAgent, string? ProxyAuthorization, string? TraceParent = null);

/// <summary>Result of looking for a complete head in the bytes received so far.</summary>
internal enum HeadParseStatus
{
    Incomplete,
    Complete,
    Invalid,
}

/// <summary>
/// Parses <c>CONNECT host:port HTTP/1.x</c> heads strictly: CRLF line endings only (a bare CR or
/// LF is refused, as request smuggling hides there), single spaces in the request line, token
/// header names, no obs-fold. Header values are read as Latin-1 and only two are kept.
/// </summary>
internal static class ConnectHeadParser
{
    private static ReadOnlySpan<byte> Terminator => "\r\n\r\n"u8;

    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Looks for the end of the head within <paramref name="maxBytes"/>.</summary>
    /// <param name="end">Position just after the blank line when complete.</param>
    public static HeadParseStatus TryParse(ReadOnlySequence<byte> buffer, int maxBytes, out ConnectHead? head, out SequencePosition end, out string error)
    {
        head = null;
        end = buffer.Start;
        error = string.Empty;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> headBytes, Terminator, advancePastDelimiter: true))
        {
            if (buffer.Length > maxBytes)
            {
                error = $"request head larger than {maxBytes} bytes";
                return HeadParseStatus.Invalid;
            }

            return HeadParseStatus.Incomplete;
        }

        if (headBytes.Length + Terminator.Length > maxBytes)
        {
            error = $"request head larger than {maxBytes} bytes";
            return HeadParseStatus.Invalid;
        }

        end = reader.Position;
        var text = Encoding.Latin1.GetString(headBytes);
        return Parse(text, out head, out error) ? HeadParseStatus.Complete : HeadParseStatus.Invalid;
    }

    private static bool Parse(string text, out ConnectHead? head, out string error)
    {
        head = null;
        var lines = text.Split("\r\n");
        foreach (var line in lines)
        {
            if (line.Contains('\r') || line.Contains('\n'))
            {
                error = "bare CR or LF in request head";
                return false;
            }

            if (line.Contains('\0'))
            {
                error = "NUL in request head";
                return false;
            }
        }

        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "CONNECT")
        {
            error = "malformed request line (expected 'CONNECT host:port HTTP/1.1')";
            return false;
        }

        if (requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            error = $"unsupported protocol version '{PrintableText.Of(requestLine[2])}'";
            return false;
        }

        // A non-ASCII name arrives as UTF-8 bytes (read here as Latin-1, losslessly): decode it, and
        // the target parser turns it into punycode before anything is matched.
        var rawTarget = requestLine[1];
        if (rawTarget.Any(c => c > 0x7E))
        {
            var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            try
            {
                rawTarget = utf8.GetString(Encoding.Latin1.GetBytes(rawTarget));
            }
            catch (DecoderFallbackException)
            {
                error = "CONNECT target is neither ASCII nor valid UTF-8";
                return false;
            }
        }

        if (!TargetParser.TryParseAuthority(rawTarget, -1, out var target, out var targetError))
        {
            error = $"invalid CONNECT target '{PrintableText.Of(requestLine[1])}': {targetError}";
            return false;
        }

        string? userAgent = null;
        string? authorization = null;
        string? traceParent = null;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length > 0 && line[0] is ' ' or '\t')
            {
                error = "obsolete header line folding is not allowed";
                return false;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAnyExcept(TokenChars))
            {
                error = $"malformed header line {i + 1}";
                return false;
            }

            var name = line.AsSpan(0, colon);
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                userAgent = value;
            }
            else if (name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = value;
            }
            else if (name.Equals("traceparent", StringComparison.OrdinalIgnoreCase))
            {
                traceParent = value;
            }
        }

        head = new ConnectHead(requestLine[1], target, userAgent, authorization, traceParent);
        error = string.Empty;
        return true;
    }

    /// <summary>The first line of a refused head, made printable, for the decision log.</summary>
    public static string RequestLine(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, 256);
        var text = Encoding.Latin1.GetString(buffer.Slice(0, length));
        var end = text.IndexOfAny(['\r', '\n']);
        return PrintableText.Of(end >= 0 ? text[..end] : text);
    }
}
