using System.Runtime.InteropServices;

namespace EgressGuard.Tunnels;

/// <summary>
/// The kernel pipe one direction of a spliced tunnel moves its bytes through (socket → pipe →
/// socket: splice(2) needs a pipe on one side). Non-blocking and close-on-exec; owned by one
/// direction's loop, so nothing here is shared between threads.
/// </summary>
internal sealed class SplicePipe : IDisposable
{
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
