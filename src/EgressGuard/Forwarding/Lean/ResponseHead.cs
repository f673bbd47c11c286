namespace EgressGuard.Forwarding.Lean;

/// <summary>How the upstream response's body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming
{
    None,
    ContentLength,
    Chunked,
    UntilClose,
}

/// <summary>
/// A parsed upstream response head. Strict where leniency would let a server desynchronise the
/// connection: a status line that is not <c>HTTP/1.x NNN</c>, a header line without a colon or
/// with whitespace before it, obsolete line folding, differing <c>Content-Length</c>s and a head
/// over <see cref="MaxBytes"/> are all refused (502), never guessed at.
/// </summary>
internal sealed class ResponseHead
{
    /// <summary>Largest response head accepted: SocketsHttpHandler's default (64 KiB) on the YARP path.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>RFC 9110 §5.6.2 tchar: a header name of anything else (a space, say) is refused.</summary>
    private static readonly System.Buffers.SearchValues<char> TokenChars =
        System.Buffers.SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public int Status { get; private init; }

    public string Reason { get; private init; } = string.Empty;

    public bool Http10 { get; private init; }

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public BodyFraming Framing { get; private set; }

    public long ContentLength { get; private set; } = -1;

    /// <summary>The server allows the connection to carry another request (HTTP/1.1 without <c>Connection: close</c>).</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>Finds a complete head at the start of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    /// <exception cref="UpstreamProtocolException">Malformed, or longer than <see cref="MaxBytes"/>.</exception>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, string method, out ResponseHead? head)
    {
        head = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> headBytes, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            if (buffer.Length > MaxBytes)
            {
                throw new UpstreamProtocolException($"the upstream response head is larger than {MaxBytes} bytes");
            }

            return false;
        }

        if (headBytes.Length > MaxBytes)
        {
            throw new UpstreamProtocolException($"the upstream response head is larger than {MaxBytes} bytes");
        }

        head = Parse(Encoding.Latin1.GetString(headBytes), method);
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static ResponseHead Parse(string text, string method)
    {
        var lines = text.Split("\r\n");
        var status = lines[0];
        if (status.Length < 12 || !status.StartsWith("HTTP/1.", StringComparison.Ordinal) || status[7] is not ('0' or '1') || status[8] != ' '
            || !int.TryParse(status.AsSpan(9, 3), System.Globalization.NumberStyles.None, null, out var code) || code < 100 || (status.Length > 12 && status[12] != ' '))
        {
            throw new UpstreamProtocolException($"the upstream sent a malformed status line '{Addressing.PrintableText.Of(status)}'");
        }

        // The reason phrase is relayed to the client: a CR, LF or other control character in it
        // would let the server write headers or a second response of its own there.
        if (status.AsSpan().IndexOfAnyInRange('\0', '\x08') >= 0 || status.AsSpan().IndexOfAnyInRange('\x0a', '\x1f') >= 0 || status.Contains('\x7f', StringComparison.Ordinal))
        {
            throw new UpstreamProtocolException($"the upstream sent a control character in its status line '{Addressing.PrintableText.Of(status)}'");
        }

        var head = new ResponseHead { Status = code, Http10 = status[7] == '0', Reason = status.Length > 13 ? status[13..] : string.Empty };
        var keepAlive = !head.Http10;
        var chunked = false;
        var hasTransferEncoding = false;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAnyExcept(TokenChars) || line.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                throw new UpstreamProtocolException($"the upstream sent a malformed header line '{Addressing.PrintableText.Of(line)}'");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            head.Headers.Add(new(name, value));
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, null, out var length) || (head.ContentLength >= 0 && head.ContentLength != length))
                {
                    throw new UpstreamProtocolException($"the upstream sent an invalid Content-Length '{Addressing.PrintableText.Of(value)}'");
                }

                head.ContentLength = length;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                hasTransferEncoding = true;
                // Chunked only when it is the last coding, exactly (not "xchunked"); anything else is read to the close.
                var codings = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                chunked = codings.Length > 0 && codings[^1].Equals("chunked", StringComparison.OrdinalIgnoreCase);
                if (codings.Length != (chunked ? 1 : 0))
                {
                    // Transfer-Encoding is dropped toward the client, so a gzip coding would reach it undeclared: a corrupt body.
                    throw new UpstreamProtocolException($"the upstream used a transfer coding other than chunked: '{Addressing.PrintableText.Of(value)}'");
                }
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                keepAlive = head.Http10 ? value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase) && keepAlive : keepAlive && !value.Contains("close", StringComparison.OrdinalIgnoreCase);
            }
        }

        if (hasTransferEncoding && (head.ContentLength >= 0 || head.Http10))
        {
            // Contradictory framing, or Transfer-Encoding from HTTP/1.0 (RFC 9112 §6.1): whatever
            // the body turns out to be, the connection is not trusted with another request.
            keepAlive = false;
        }

        head.KeepAlive = keepAlive;
        if (HttpMethods.IsHead(method) || code is 204 or 304 || code < 200)
        {
            head.Framing = BodyFraming.None;
        }
        else if (hasTransferEncoding)
        {
            // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); with both, the connection is not trusted again.
            head.Framing = chunked ? BodyFraming.Chunked : BodyFraming.UntilClose;
            head.KeepAlive = keepAlive && chunked && head.ContentLength < 0;
            head.ContentLength = -1;
        }
        else if (head.ContentLength >= 0)
        {
            head.Framing = head.ContentLength == 0 ? BodyFraming.None : BodyFraming.ContentLength;
        }
        else
        {
            head.Framing = BodyFraming.UntilClose;
            head.KeepAlive = false;
        }

        return head;
    }
}
