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

    private SplicePipe(int read, int write)
    {
        _read = read;
        _write = write;
    }

    public int ReadEnd => _read;

    public int WriteEnd => _write;

    /// <summary>A new pipe, or null when the process is out of descriptors (the caller copies instead).</summary>
    public static unsafe SplicePipe? TryCreate()
    {
        var fds = stackalloc int[2];
        return LibC.pipe2(fds, LibC.O_NONBLOCK | LibC.O_CLOEXEC) == 0 ? new SplicePipe(fds[0], fds[1]) : null;
    }

    /// <summary>An idle pipe from the pool, else a new one; null when the process is out of descriptors.</summary>
    public static SplicePipe? Rent()
    {
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
        if (empty && pipe._read >= 0)
        {
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
        }
    }
}
