using System.Buffers.Text;
using System.IO.Pipelines;

namespace EgressGuard.Forwarding.Lean;

/// <summary>
/// Streams the client's request body (as Kestrel decoded it) upstream: as is under the client's
/// <c>Content-Length</c>, or chunk by chunk. Reading the body is what makes Kestrel answer a
/// client's <c>Expect: 100-continue</c>, so the client waits no longer than the YARP path lets it.
/// </summary>
internal static class RequestBody
{
    /// <summary>
    /// Sends until the body ends, the timer or the client ends it, or <paramref name="stop"/>: the
    /// exchange stops it when the server answered early or the exchange failed, so no reader of
    /// the client's body and no writer of the pipe outlives the exchange.
    /// </summary>
    public static async Task SendAsync(Stream body, PipeWriter writer, bool chunked, UpstreamTimer timer, CancellationToken stop)
    {
        // The timer's token is one source re-armed before each wait, so linking it once is enough.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Arm(), stop);
        var token = linked.Token;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                timer.Pause();
                var read = await body.ReadAsync(buffer.AsMemory(), token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                Write(writer, buffer.AsSpan(0, read), chunked);
                timer.Arm();
                if ((await writer.FlushAsync(token).ConfigureAwait(false)).IsCanceled)
                {
                    throw new OperationCanceledException(token);
                }
            }

            if (chunked)
            {
                writer.Write("0\r\n\r\n"u8);
                timer.Arm();
                await writer.FlushAsync(token).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Write(PipeWriter writer, ReadOnlySpan<byte> data, bool chunked)
    {
        if (chunked)
        {
            Span<byte> size = stackalloc byte[16];
            Utf8Formatter.TryFormat(data.Length, size, out var written, new StandardFormat('X'));
            writer.Write(size[..written]);
            writer.Write("\r\n"u8);
            writer.Write(data);
            writer.Write("\r\n"u8);
        }
        else
        {
            writer.Write(data);
        }
    }
}
