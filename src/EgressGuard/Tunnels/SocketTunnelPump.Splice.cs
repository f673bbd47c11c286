namespace EgressGuard.Tunnels;

internal sealed partial class SocketTunnelPump
{
    /// <summary>
    /// One direction by splice(2) (Linux, <c>Proxy:Splice</c>), the bytes never entering user space:
    /// 1. the bytes already read after the CONNECT head go first, by a plain send;
    /// 2. a zero-byte receive waits for readability (no buffer, no pipe while idle: a drained
    ///    direction parks its pipe in the pool, <see cref="SpliceDirection.Park"/>);
    /// 3. <see cref="SpliceDirection.Move"/> splices socket → pipe → socket until the input would block
    ///    (a splice that fills the pipe grows it, within <see cref="SpliceGrowth"/>'s budget);
    /// 4. a full receiver (EAGAIN on the way out) gets the pipe's bytes through a pooled buffer and an
    ///    awaited send — .NET has no wait-for-writable — and splicing resumes;
    /// 5. the sender's FIN becomes shutdown(SHUT_WR) on the receiver, as in <see cref="CopyAsync"/>.
    /// Falls back to <see cref="CopyAsync"/> when no pipe can be had or the kernel refuses these sockets.
    /// </summary>
    private async Task<long> SpliceAsync(Socket from, Socket to, ReadOnlyMemory<byte> first, string sendError, string receiveError)
    {
        long early = 0;
        SpliceDirection? direction = null;
        try
        {
            // 1. Early bytes.
            if (!first.IsEmpty)
            {
                await to.SendAsync(first, SocketFlags.None).ConfigureAwait(false);
                early = first.Length;
            }

            // After a spent budget or a full receiver, more may be waiting: splice again at once (it
            // ends Drained and parks the pipe), not after a wait that an idle peer may never end.
            var again = false;
            while (true)
            {
                // 2. Readable (or ended).
                if (!again)
                {
                    try
                    {
                        await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    }
                    catch (SocketException)
                    {
                        CloseUnlessClosed(receiveError);
                        break;
                    }
                }

                again = false;

                if (direction is null)
                {
                    if (SplicePipe.Rent() is not { } pipe)
                    {
                        Interlocked.Exchange(ref _copied, 1);
                        return early + await CopyAsync(from, to, default, sendError, receiveError).ConfigureAwait(false);
                    }

                    direction = new SpliceDirection(from.SafeHandle, to.SafeHandle, pipe, _growth);
                    Interlocked.Increment(ref _pipesHeld);
                }
                else if (direction.Pipe is null)
                {
                    if (!direction.Resume())
                    {
                        // Out of descriptors mid-tunnel: nothing is in flight, the copy carries on.
                        Interlocked.Exchange(ref _copied, 1);
                        return early + direction.Total + await CopyAsync(from, to, default, sendError, receiveError).ConfigureAwait(false);
                    }

                    Interlocked.Increment(ref _pipesHeld);
                }

                // 3. Splice what is there.
                var step = direction.Move();
                if (direction.Received)
                {
                    _idle?.Touch();
                }

                switch (step)
                {
                    case SpliceStep.Drained:
                        // Nothing to read: the pipe goes back to the pool until there is.
                        Park(direction);
                        continue;
                    case SpliceStep.Budget:
                        await Task.Yield();
                        again = true;
                        continue;
                    case SpliceStep.OutputFull:
                        // 4. Wait for the receiver the one way .NET offers: an awaited send.
                        if (!await SendPendingAsync(direction, to).ConfigureAwait(false))
                        {
                            CloseUnlessClosed(sendError);
                            return early + direction.Total;
                        }

                        again = true;
                        continue;
                    case SpliceStep.End:
                        // 5. Half-close: this side is done sending; the other may still answer.
                        ShutdownSend(to);
                        return early + direction.Total;
                    case SpliceStep.Unsupported:
                        // Nothing moved, the pipe is empty: back to the pool, not held through the copy.
                        Park(direction);
                        Interlocked.Exchange(ref _copied, 1);
                        return early + direction.Total + await CopyAsync(from, to, default, sendError, receiveError).ConfigureAwait(false);
                    case SpliceStep.SendFailed:
                        CloseUnlessClosed(sendError);
                        return early + direction.Total;
                    default:
                        CloseUnlessClosed(receiveError);
                        return early + direction.Total;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed by Close (policy, idle, lifetime): its error type is already set.
        }
        finally
        {
            if (direction?.Pipe is { } held)
            {
                SplicePipe.Return(held, direction.Pending == 0);
                Interlocked.Decrement(ref _pipesHeld);
            }
        }

        return early + (direction?.Total ?? 0);
    }

    private void Park(SpliceDirection direction)
    {
        direction.Park();
        if (direction.Pipe is null)
        {
            Interlocked.Decrement(ref _pipesHeld);
        }
    }

    /// <summary>Moves the pipe's bytes to <paramref name="to"/> through a pooled buffer; false when the send failed.</summary>
    private static async Task<bool> SendPendingAsync(SpliceDirection direction, Socket to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(direction.Pending);
        try
        {
            // Held: a direction with bytes pending never parks its pipe.
            var length = direction.Pipe!.Read(buffer.AsSpan(0, direction.Pending));
            if (length < 0)
            {
                return false;
            }

            direction.Pending -= length;
            await to.SendAsync(buffer.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);
            direction.Total += length;
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
