namespace EgressGuard.Tunnels;

/// <summary>
/// Pumps a plaintext tunnel socket to socket, the way the kernel likes it: a zero-byte receive
/// waits for data (an idle tunnel holds no buffer), then one 64 KiB pooled buffer carries one
/// receive and one send per chunk each way, and real half-close in both directions (each side's
/// FIN becomes a <c>shutdown(SHUT_WR)</c> on the other). Bytes the client sent after its CONNECT
/// head go upstream first. Ends when both directions are done, on idle timeout, on any error, or
/// when closed by a policy change. On Linux with <c>Proxy:Splice</c> each direction is spliced
/// instead (<c>SocketTunnelPump.Splice.cs</c>), this copy being the fallback.
/// </summary>
internal sealed partial class SocketTunnelPump : ITunnelPump
{
    private const int BufferSize = 64 * 1024;

    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly ReadOnlyMemory<byte> _early;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly bool _splice;
    private readonly SpliceGrowth? _growth;
    private IdleTimer? _idle;
    private string? _errorType;
    private int _closed;
    private int _copied;
    private int _pipesHeld;

    /// <summary>Splice pipes this tunnel's directions hold now (0 when idle: drained directions park theirs).</summary>
    public int PipesHeld => Volatile.Read(ref _pipesHeld);

    /// <param name="splice">Relay by splice(2) where the kernel offers it (Linux), else copy.</param>
    /// <param name="growth">How far a bulk direction's pipe may grow; null: it keeps the kernel's default.</param>
    public SocketTunnelPump(Socket client, Socket upstream, ReadOnlyMemory<byte> early, TimeSpan idleTimeout, TimeProvider time, bool splice = false, SpliceGrowth? growth = null)
    {
        _growth = growth;
        _client = client;
        _upstream = upstream;
        _early = early;
        _idleTimeout = idleTimeout;
        _time = time;
        _splice = splice && OperatingSystem.IsLinux();
    }

    /// <summary>How the bytes moved, for the decision line: <c>splice</c>, or <c>copy</c> when either direction was copied.</summary>
    public const string Spliced = "splice";

    /// <inheritdoc cref="Spliced"/>
    public const string Copied = "copy";

    public async Task<TunnelResult> RunAsync()
    {
        using var idle = new IdleTimer(_time, _idleTimeout, () => Close(ErrorTypes.IdleTimeout));
        _idle = idle;
        var splice = _splice && SpliceDirection.CanSplice(_client) && SpliceDirection.CanSplice(_upstream);
        var upTask = splice
            ? SpliceAsync(_client, _upstream, _early, ErrorTypes.UpstreamSendFailed, ErrorTypes.ClientReset)
            : CopyAsync(_client, _upstream, _early, ErrorTypes.UpstreamSendFailed, ErrorTypes.ClientReset);
        var downTask = splice
            ? SpliceAsync(_upstream, _client, default, ErrorTypes.ClientSendFailed, ErrorTypes.UpstreamReset)
            : CopyAsync(_upstream, _client, default, ErrorTypes.ClientSendFailed, ErrorTypes.UpstreamReset);
        var up = await upTask.ConfigureAwait(false);
        var down = await downTask.ConfigureAwait(false);
        var relay = splice && Volatile.Read(ref _copied) == 0 ? Spliced : Copied;
        return new TunnelResult(up, down, Volatile.Read(ref _errorType), relay);
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
                    // As Memory: the byte[] overload binds to ArraySegment and allocates a Task<int> per read.
                    read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Return(buffer);
                    CloseUnlessClosed(receiveError);
                    break;
                }

                if (read == 0)
                {
                    Return(buffer);

                    // Half-close: this side is done sending; the other may still answer.
                    ShutdownSend(to);
                    break;
                }

                _idle?.Touch();
                try
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    CloseUnlessClosed(sendError);
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

    /// <summary>A failure seen after <see cref="Close"/> is the close's echo, not the tunnel's end reason.</summary>
    private void CloseUnlessClosed(string errorType)
    {
        if (Volatile.Read(ref _closed) == 0)
        {
            Close(errorType);
        }
    }

    private static void ShutdownSend(Socket to)
    {
        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
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
