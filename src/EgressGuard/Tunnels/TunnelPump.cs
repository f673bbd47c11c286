using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace EgressGuard.Tunnels;

/// <summary>
/// Pumps bytes both ways between the client's Kestrel connection and the upstream socket (the
/// TLS-listener path; plaintext tunnels take <see cref="SocketTunnelPump"/>).
/// 1. client → upstream: read the connection's input pipe, send its segments with one gathered
///    send per read; on the client's FIN, shut down the upstream's send side (half-close);
/// 2. upstream → client: receive straight into the output pipe's memory and flush; on the
///    upstream's FIN, complete the output. Kestrel's socket transport then closes the client
///    connection in both directions: it cannot half-close (see ARCHITECTURE.md);
/// 3. an idle timer closes both sides when neither moved a byte for the idle timeout;
/// 4. any error aborts both sides.
/// </summary>
internal sealed class TunnelPump(IDuplexPipe client, Socket upstream, TimeSpan idleTimeout, TimeProvider timeProvider) : ITunnelPump
{
    private const int ReceiveSize = 16 * 1024;

    private readonly CancellationTokenSource _abort = new();
    private long _bytesUp;
    private long _bytesDown;
    private string? _errorType;

    private IdleTimer? _idle;

    /// <remarks>
    /// Not tied to Kestrel's ConnectionClosed token, which fires on the client's FIN: a half-closed
    /// client is still waiting for the upstream's answer. A reset client fails the input read instead.
    /// </remarks>
    public async Task<TunnelResult> RunAsync()
    {
        using var idle = new IdleTimer(timeProvider, idleTimeout, () => Abort(ErrorTypes.IdleTimeout));
        _idle = idle;

        var up = PumpUpAsync();
        var down = PumpDownAsync();
        await Task.WhenAll(up, down).ConfigureAwait(false);
        return new TunnelResult(_bytesUp, _bytesDown, _errorType, "pipe");
    }

    public void Dispose() => _abort.Dispose();

    /// <summary>Closes both sides now (policy change, shutdown); <paramref name="errorType"/> goes to the log line.</summary>
    public void Close(string errorType) => Abort(errorType);

    private void Touch() => _idle?.Touch();

    private void Abort(string? errorType)
    {
        if (errorType is not null)
        {
            Interlocked.CompareExchange(ref _errorType, errorType, null);
        }

        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        upstream.Dispose();
    }

    private async Task PumpUpAsync()
    {
        var input = client.Input;
        var segments = new List<ArraySegment<byte>>();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_abort.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    Touch();
                    await SendAsync(buffer, segments).ConfigureAwait(false);
                    _bytesUp += buffer.Length;
                }

                input.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            // 1. Half-close: the client is done sending; the upstream may still answer.
            ShutdownUpstreamSend();
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
            Abort(ErrorTypes.UpstreamSendFailed);
        }
        catch (IOException)
        {
            Abort(ErrorTypes.ClientReset);
        }
    }

    private void ShutdownUpstreamSend()
    {
        try
        {
            upstream.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already closed by the peer: nothing left to half-close.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task SendAsync(ReadOnlySequence<byte> buffer, List<ArraySegment<byte>> segments)
    {
        if (buffer.IsSingleSegment)
        {
            await upstream.SendAsync(buffer.First, SocketFlags.None, _abort.Token).ConfigureAwait(false);
            return;
        }

        // One sendmsg for all segments of the read instead of one send per 4 KiB block.
        segments.Clear();
        foreach (var memory in buffer)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var segment))
            {
                segments.Clear();
                break;
            }

            segments.Add(segment);
        }

        if (segments.Count > 0)
        {
            await upstream.SendAsync(segments, SocketFlags.None).ConfigureAwait(false);
            return;
        }

        foreach (var memory in buffer)
        {
            await upstream.SendAsync(memory, SocketFlags.None, _abort.Token).ConfigureAwait(false);
        }
    }

    private async Task PumpDownAsync()
    {
        var output = client.Output;
        try
        {
            while (true)
            {
                var memory = output.GetMemory(ReceiveSize);
                var read = await upstream.ReceiveAsync(memory, SocketFlags.None, _abort.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                Touch();
                output.Advance(read);
                _bytesDown += read;
                var flush = await output.FlushAsync(_abort.Token).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
            Interlocked.CompareExchange(ref _errorType, ErrorTypes.UpstreamReset, null);
        }
        finally
        {
            // 2. The upstream is done (or failed): finish the client side, which also ends PumpUp.
            await output.CompleteAsync().ConfigureAwait(false);
            client.Input.CancelPendingRead();
        }
    }
}
