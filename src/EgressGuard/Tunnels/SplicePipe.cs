using System.Runtime.InteropServices;

namespace EgressGuard.Tunnels;

/// <summary>
/// The kernel pipe one direction of a spliced tunnel moves its bytes through (socket → pipe →
/// socket: splice(2) needs a pipe on one side). Non-blocking and close-on-exec; owned by one
/// direction's loop, so nothing here is shared between threads while in use.
/// Empty pipes are kept for the next tunnel (<see cref="Rent"/>, <see cref="Return"/>): the CONNECT
/// setup profile spent about 5 % of the proxy's CPU on pipe2, its fcntl and the two closes per
/// direction of every short tunnel.
/// </summary>
internal sealed class SplicePipe : IDisposable
{
    /// <summary>Idle pipes kept: two descriptors each; enough for the concurrent short tunnels of a busy node.</summary>
    private const int PoolSize = 128;

    private static readonly SplicePipe?[] Pool = new SplicePipe?[PoolSize];
    private static readonly Lock PoolLock = new();
    private static int _pooled;

    private int _read;
    private int _write;
    private SpliceGrowth? _grownFrom;
    private int _grownBy;
    private bool _growRefused;

    private SplicePipe(int read, int write, int capacity)
    {
        _read = read;
        _write = write;
        Capacity = capacity;
    }

    public int ReadEnd => _read;

    public int WriteEnd => _write;

    /// <summary>The pipe's capacity in bytes: what one splice into it moves at most.</summary>
    public int Capacity { get; private set; }

    /// <summary>Whether <see cref="TryGrow"/> enlarged this pipe (it then goes back to its <see cref="SpliceGrowth"/>, not to the pool).</summary>
    public bool Grown => _grownFrom is not null;

    /// <summary>A new pipe, or null when the process is out of descriptors (the caller copies instead).</summary>
    public static unsafe SplicePipe? TryCreate()
    {
        var fds = stackalloc int[2];
        if (LibC.pipe2(fds, LibC.O_NONBLOCK | LibC.O_CLOEXEC) != 0)
        {
            return null;
        }

        // The kernel's default (16 pages), or less once the user is past pipe-user-pages-soft.
        var capacity = LibC.fcntl(fds[1], LibC.F_GETPIPE_SZ, 0);
        return new SplicePipe(fds[0], fds[1], capacity > 0 ? capacity : 4096);
    }

    /// <summary>
    /// Enlarges the pipe to <see cref="SpliceGrowth.Size"/> when the budget allows and the kernel
    /// agrees (an unprivileged user may be refused past <c>pipe-max-size</c> or its page limits);
    /// tried once per rental (a refusal may have been the budget, which a later tunnel may find free).
    /// Bytes already in the pipe stay.
    /// </summary>
    public bool TryGrow(SpliceGrowth growth)
    {
        if (_growRefused || _grownFrom is not null || growth.Size <= Capacity || _write < 0)
        {
            return false;
        }

        _growRefused = true; // whatever happens now, once is enough
        var extra = growth.Size - Capacity;
        if (!growth.TryTake(extra))
        {
            return false;
        }

        var granted = LibC.fcntl(_write, LibC.F_SETPIPE_SZ, growth.Size);
        if (granted <= Capacity)
        {
            growth.Release(extra);
            return false;
        }

        // The size is rounded as the kernel rounds (SpliceGrowth), so the budget holds what was granted.
        _grownFrom = growth;
        _grownBy = extra;
        Capacity = granted;
        return true;
    }

    /// <summary>
    /// An idle pipe: a grown one for a direction known to be bulk (<paramref name="bulk"/>), else one
    /// from the pool, else a new one; null when the process is out of descriptors.
    /// </summary>
    public static SplicePipe? Rent(SpliceGrowth? bulk = null)
    {
        if (bulk?.TryRentIdle() is { } grown)
        {
            return grown;
        }

        lock (PoolLock)
        {
            if (_pooled > 0)
            {
                var pipe = Pool[--_pooled]!;
                Pool[_pooled] = null;
                return pipe;
            }
        }

        return TryCreate();
    }

    /// <summary>
    /// Gives a pipe back for another tunnel when it is known to be empty (<paramref name="empty"/>:
    /// every byte read into it was delivered); otherwise, or with the pool full, closes it, since a
    /// pipe holding one tunnel's bytes must never carry them into another.
    /// </summary>
    public static void Return(SplicePipe pipe, bool empty)
    {
        // A grown pipe goes back to its budget's idle pipes (or is closed): the pool keeps default-sized pipes only.
        if (pipe.Grown)
        {
            if (!empty || !pipe._grownFrom!.TryKeepIdle(pipe))
            {
                pipe.Dispose();
            }

            return;
        }

        if (empty && pipe._read >= 0)
        {
            pipe._growRefused = false;
            lock (PoolLock)
            {
                if (_pooled < PoolSize)
                {
                    Pool[_pooled++] = pipe;
                    return;
                }
            }
        }

        pipe.Dispose();
    }

    /// <summary>Reads what the pipe holds into <paramref name="into"/>: bytes, 0 when empty, -1 on error.</summary>
    public unsafe int Read(Span<byte> into)
    {
        fixed (byte* p = into)
        {
            while (true)
            {
                var read = LibC.read(_read, p, (nuint)into.Length);
                if (read >= 0)
                {
                    return (int)read;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                {
                    return errno == LibC.EAGAIN ? 0 : -1;
                }
            }
        }
    }

    public void Dispose()
    {
        if (_read >= 0)
        {
            LibC.close(_read);
            LibC.close(_write);
            _read = _write = -1;
            _grownFrom?.Release(_grownBy);
            _grownFrom = null;
        }
    }
}
