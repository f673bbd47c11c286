using System.Buffers;
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
    public static async Task SendAsync(Stream body, PipeWriter writer, bool chunked, UpstreamTimer timer)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(buffer.AsMemory(), timer.Arm()).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                Write(writer, buffer.AsSpan(0, read), chunked);

                await writer.FlushAsync(timer.Arm()).ConfigureAwait(false);
            }

            if (chunked)
            {
                writer.Write("0\r\n\r\n"u8);
                await writer.FlushAsync(timer.Arm()).ConfigureAwait(false);
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
