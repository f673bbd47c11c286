using System.Buffers;
using System.Net.Sockets;
using EgressGuard.Telemetry;

namespace EgressGuard.Tunnels;

/// <summary>
/// Pumps a plaintext tunnel socket to socket, the way the kernel likes it: a zero-byte receive
/// waits for data (an idle tunnel holds no buffer), then one 64 KiB pooled buffer carries one
/// receive and one send per chunk each way, and real half-close in both directions (each side's
/// FIN becomes a <c>shutdown(SHUT_WR)</c> on the other). Bytes the client sent after its CONNECT
/// head go upstream first. Ends when both directions are done, on idle timeout, on any error, or
/// when closed by a policy change.
/// </summary>
internal sealed class SocketTunnelPump : ITunnelPump
{
    private const int BufferSize = 64 * 1024;

    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly ReadOnlyMemory<byte> _early;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private IdleTimer? _idle;
    private string? _errorType;
    private int _closed;

    public SocketTunnelPump(Socket client, Socket upstream, ReadOnlyMemory<byte> early, TimeSpan idleTimeout, TimeProvider time)
    {
        _client = client;
        _upstream = upstream;
        _early = early;
        _idleTimeout = idleTimeout;
        _time = time;
    }

    public async Task<TunnelResult> RunAsync()
    {
        using var idle = new IdleTimer(_time, _idleTimeout, () => Close(ErrorTypes.IdleTimeout));
        _idle = idle;
        var upTask = CopyAsync(_client, _upstream, _early, ErrorTypes.UpstreamSendFailed, ErrorTypes.ClientReset);
        var downTask = CopyAsync(_upstream, _client, default, ErrorTypes.ClientSendFailed, ErrorTypes.UpstreamReset);
        var up = await upTask.ConfigureAwait(false);
        var down = await downTask.ConfigureAwait(false);
        return new TunnelResult(up, down, Volatile.Read(ref _errorType));
    }

    public void Close(string errorType)
    {
        Interlocked.CompareExchange(ref _errorType, errorType, null);
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // Unblocks both loops; the listener disposes the client socket afterwards.
            _upstream.Dispose();
            try
            {
                _client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task<long> CopyAsync(Socket from, Socket to, ReadOnlyMemory<byte> first, string sendError, string receiveError)
    {
        long total = 0;
        try
        {
            if (!first.IsEmpty)
            {
                await to.SendAsync(first, SocketFlags.None).ConfigureAwait(false);
                total += first.Length;
            }

            while (true)
            {
                // Wait for data without holding a buffer: an idle tunnel costs no pooled memory.
                byte[]? buffer = null;
                int read;
                try
                {
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    read = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Return(buffer);
                    if (Volatile.Read(ref _closed) == 0)
                    {
                        Close(receiveError);
                    }

                    break;
                }

                if (read == 0)
                {
                    Return(buffer);

                    // Half-close: this side is done sending; the other may still answer.
                    try
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }

                    break;
                }

                _idle?.Touch();
                try
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    if (Volatile.Read(ref _closed) == 0)
                    {
                        Close(sendError);
                    }

                    break;
                }
                finally
                {
                    Return(buffer);
                }

                total += read;
            }
        }
        catch (ObjectDisposedException)
        {
        }

        return total;
    }

    private static void Return(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
    }
}
