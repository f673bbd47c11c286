using System.Runtime.InteropServices;

namespace EgressGuard.Tunnels;

/// <summary>What one synchronous round of <see cref="SpliceDirection.Move"/> ended on.</summary>
internal enum SpliceStep
{
    /// <summary>Nothing more to read now: wait for readability.</summary>
    Drained,

    /// <summary>The round's byte budget is spent: yield to other tunnels, then go on.</summary>
    Budget,

    /// <summary>The receiver's socket buffer is full with <see cref="SpliceDirection.Pending"/> bytes still in the pipe.</summary>
    OutputFull,

    /// <summary>The sender's FIN: everything before it was delivered.</summary>
    End,

    ReceiveFailed,
    SendFailed,

    /// <summary>The kernel will not splice these descriptors (EINVAL, ENOSYS…) and nothing moved yet: copy instead.</summary>
    Unsupported,
}

/// <summary>
/// One direction of a spliced tunnel, the synchronous part: socket → pipe → socket with
/// non-blocking splice(2) calls until the input would block, the output is full, the budget is
/// spent or the input ends. The bytes never enter user space.
/// </summary>
internal sealed class SpliceDirection(SafeHandle from, SafeHandle to, SplicePipe pipe, SpliceGrowth? growth = null)
{
    private SplicePipe? _pipe = pipe;

    /// <summary>Once this direction looked bulk: its next rounds ask for an idle grown pipe first.</summary>
    private bool _bulk;

    private const uint Flags = LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK;

    /// <summary>Asked per splice from the socket; the pipe's capacity (64 KiB by default, more once grown) bounds what moves.</summary>
    private const int Chunk = 1 << 20;

    /// <summary>Bytes moved per round before the loop yields: about a third of a millisecond on loopback.</summary>
    private const long Budget = 1 << 20;

    private const int EINVAL = 22;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;

    /// <summary>The pipe this direction holds; null while parked (<see cref="Park"/>).</summary>
    public SplicePipe? Pipe => _pipe;

    /// <summary>Bytes delivered to the receiver.</summary>
    public long Total { get; set; }

    /// <summary>Bytes in the pipe, read from the sender, not yet delivered.</summary>
    public int Pending { get; set; }

    /// <summary>Whether the last round read anything (the idle timer's touch).</summary>
    public bool Received { get; private set; }

    /// <summary>True when both sockets are non-blocking, as .NET makes them on Linux; splice on a blocking socket could block a pool thread.</summary>
    public static bool CanSplice(Socket socket)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Referenced like every splice: the registry may already have closed this tunnel.
            handle.DangerousAddRef(ref added);
            return (LibC.fcntl((int)handle.DangerousGetHandle(), LibC.F_GETFL, 0) & LibC.O_NONBLOCK) != 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Gives the empty pipe back while the input has nothing to read, so an idle tunnel holds no
    /// pipe: each is two descriptors and 64 KiB or more of the user's pipe allowance, and a node with
    /// thousands of quiet HTTPS tunnels would otherwise hold two per tunnel. A default pipe goes to
    /// the pool, a grown one to its <see cref="SpliceGrowth"/> for the next bulk round.
    /// </summary>
    public void Park()
    {
        if (_pipe is not null && Pending == 0)
        {
            SplicePipe.Return(_pipe, empty: true);
            _pipe = null;
        }
    }

    /// <summary>Holds a pipe again before the next <see cref="Move"/>; false when none can be had (out of descriptors).</summary>
    public bool Resume() => (_pipe ??= SplicePipe.Rent(_bulk ? growth : null)) is not null;

    /// <exception cref="ObjectDisposedException">A socket was closed by <see cref="SocketTunnelPump.Close"/>.</exception>
    public SpliceStep Move()
    {
        var pipe = _pipe ?? throw new InvalidOperationException("Resume before Move");
        Received = false;
        long moved = 0;
        while (true)
        {
            if (Pending > 0)
            {
                var sent = Splice(to, pipe.ReadEnd, toPipe: false, (nuint)Pending, out var sendErrno);
                if (sent > 0)
                {
                    Pending -= (int)sent;
                    Total += sent;
                    continue;
                }

                if (sendErrno == LibC.EINTR)
                {
                    continue;
                }

                return sendErrno == LibC.EAGAIN ? SpliceStep.OutputFull : SpliceStep.SendFailed;
            }

            if (moved >= Budget)
            {
                return SpliceStep.Budget;
            }

            var read = Splice(from, pipe.WriteEnd, toPipe: true, Chunk, out var errno);
            if (read > 0)
            {
                // A bulk transfer: this splice filled the pipe, or the one before in this round did
                // not empty the socket. The second test is what real traffic needs: from a NIC each
                // packet takes one of the pipe's 16 slots, so a full pipe holds 16 × 1448 bytes,
                // never its byte capacity; on loopback the data is contiguous and the first one holds.
                if (growth is not null && (read == pipe.Capacity || moved > 0))
                {
                    pipe.TryGrow(growth);
                    _bulk = true; // its next rounds ask for an idle grown pipe first
                }

                Pending = (int)read;
                moved += read;
                Received = true;
                continue;
            }

            if (read == 0)
            {
                return SpliceStep.End;
            }

            switch (errno)
            {
                case LibC.EINTR:
                    continue;
                case LibC.EAGAIN:
                    return SpliceStep.Drained;
                case EINVAL or ENOSYS or EOPNOTSUPP when Total == 0:
                    return SpliceStep.Unsupported;
                default:
                    return SpliceStep.ReceiveFailed;
            }
        }
    }

    /// <summary>
    /// One splice between a socket and a pipe end, holding a reference on the socket's handle so a
    /// concurrent close cannot release the descriptor (and the kernel hand its number to another
    /// socket) during the call.
    /// </summary>
    private static nint Splice(SafeHandle socket, int pipeEnd, bool toPipe, nuint length, out int errno)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            var fd = (int)socket.DangerousGetHandle();
            var moved = toPipe ? LibC.splice(fd, 0, pipeEnd, 0, length, Flags) : LibC.splice(pipeEnd, 0, fd, 0, length, Flags);
            errno = moved < 0 ? Marshal.GetLastPInvokeError() : 0;
            return moved;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }
}
