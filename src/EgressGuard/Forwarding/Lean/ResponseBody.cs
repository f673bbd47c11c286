using System.Buffers.Text;
using System.IO.Pipelines;

namespace EgressGuard.Forwarding.Lean;

/// <summary>
/// Streams the upstream response body to the client as it arrives: a <c>Content-Length</c> body
/// byte for byte, a chunked body de-chunked (Kestrel frames it again for the client; trailers are
/// read and dropped, as a 1.1 proxy may), or everything up to the server's close.
/// Returns true when the body ended where its framing said, so the connection may be reused.
/// </summary>
internal static class ResponseBody
{
    /// <summary>Longest chunk-size line (with extensions) accepted; past it the framing is broken.</summary>
    private const int MaxChunkLine = 4096;

    public static async ValueTask CopyAsync(PipeReader reader, ResponseHead head, Stream destination, UpstreamTimer timer)
    {
        switch (head.Framing)
        {
            case BodyFraming.ContentLength:
                await CopyLengthAsync(reader, head.ContentLength, destination, timer).ConfigureAwait(false);
                break;
            case BodyFraming.Chunked:
                await CopyChunkedAsync(reader, destination, timer).ConfigureAwait(false);
                break;
            case BodyFraming.UntilClose:
                await CopyToCloseAsync(reader, destination, timer).ConfigureAwait(false);
                break;
        }
    }

    private static async ValueTask CopyLengthAsync(PipeReader reader, long remaining, Stream destination, UpstreamTimer timer)
    {
        while (remaining > 0)
        {
            var result = await reader.ReadAsync(timer.Arm()).ConfigureAwait(false);
            var buffer = result.Buffer;
            var take = buffer.Slice(0, Math.Min(remaining, buffer.Length));
            await WriteAsync(timer, destination, take).ConfigureAwait(false);
            remaining -= take.Length;
            reader.AdvanceTo(take.End);
            if (remaining > 0 && result.IsCompleted)
            {
                throw new UpstreamProtocolException($"the upstream closed the connection {remaining} bytes before the end of its Content-Length body");
            }
        }
    }

    private static async ValueTask CopyToCloseAsync(PipeReader reader, Stream destination, UpstreamTimer timer)
    {
        while (true)
        {
            var result = await reader.ReadAsync(timer.Arm()).ConfigureAwait(false);
            await WriteAsync(timer, destination, result.Buffer).ConfigureAwait(false);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static async ValueTask CopyChunkedAsync(PipeReader reader, Stream destination, UpstreamTimer timer)
    {
        long chunk = 0; // bytes left in the current chunk's data
        var needCrlf = false; // the CRLF after a chunk's data is still to come
        var trailers = false;
        long trailerBytes = 0; // the trailer section is bounded like a head: else an upstream could send lines forever
        while (true)
        {
            var result = await reader.ReadAsync(timer.Arm()).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (true)
            {
                if (chunk > 0)
                {
                    if (buffer.IsEmpty)
                    {
                        break;
                    }

                    var take = buffer.Slice(0, Math.Min(chunk, buffer.Length));
                    await WriteAsync(timer, destination, take).ConfigureAwait(false);
                    chunk -= take.Length;
                    buffer = buffer.Slice(take.End);
                    needCrlf = chunk == 0;
                    continue;
                }

                var lineReader = new SequenceReader<byte>(buffer);
                if (!lineReader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
                {
                    if (buffer.Length > MaxChunkLine)
                    {
                        throw new UpstreamProtocolException("the upstream sent a chunk-size line longer than 4096 bytes");
                    }

                    break;
                }

                buffer = buffer.Slice(lineReader.Position);
                var text = TrimCr(line);
                if (needCrlf)
                {
                    if (!text.IsEmpty)
                    {
                        throw new UpstreamProtocolException("the upstream's chunk data did not end with CRLF");
                    }

                    needCrlf = false;
                }
                else if (trailers)
                {
                    trailerBytes += line.Length + 1;
                    if (trailerBytes > ResponseHead.MaxBytes)
                    {
                        throw new UpstreamProtocolException($"the upstream's trailer section is larger than {ResponseHead.MaxBytes / 1024} KiB");
                    }

                    if (text.IsEmpty)
                    {
                        reader.AdvanceTo(buffer.Start);
                        return; // the body's end
                    }
                }
                else
                {
                    chunk = ChunkSize(text);
                    trailers = chunk == 0;
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new UpstreamProtocolException("the upstream closed the connection inside a chunked body");
            }
        }
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySequence<byte> line)
    {
        var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        return span.Length > 0 && span[^1] == '\r' ? span[..^1] : span;
    }

    private static long ChunkSize(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
        var digits = end < 0 ? line : line[..end];
        if (digits.IsEmpty || digits.Length > 15 || !Utf8Parser.TryParse(digits, out long size, out var consumed, 'X') || consumed != digits.Length)
        {
            throw new UpstreamProtocolException($"the upstream sent an invalid chunk size '{Addressing.PrintableText.Of(System.Text.Encoding.Latin1.GetString(line))}'");
        }

        return size;
    }

    /// <summary>To the client, with the upstream's clock paused: a slow reader is not an upstream timeout.</summary>
    private static async ValueTask WriteAsync(UpstreamTimer timer, Stream destination, ReadOnlySequence<byte> data)
    {
        timer.Pause();
        foreach (var segment in data)
        {
            await destination.WriteAsync(segment).ConfigureAwait(false);
        }
    }
}
