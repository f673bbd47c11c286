using System.Runtime.InteropServices;

namespace EgressGuard.Tunnels;

/// <summary>
/// The few Linux calls the splice relay needs (<see cref="SplicePipe"/>, <see cref="SocketTunnelPump"/>).
/// Only called when <see cref="OperatingSystem.IsLinux"/>; every failure is reported through errno and
/// answered by the managed copy, never by an exception.
/// </summary>
internal static partial class LibC
{
    private const string Library = "libc";

    public const int EAGAIN = 11;
    public const int EINTR = 4;

    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int F_GETFL = 3;

    /// <summary>Sets a pipe's capacity; returns the capacity granted (rounded up to a power of two pages).</summary>
    public const int F_SETPIPE_SZ = 1031;

    /// <summary>A pipe's capacity in bytes.</summary>
    public const int F_GETPIPE_SZ = 1032;

    /// <summary>Move pages instead of copying where the kernel can.</summary>
    public const uint SPLICE_F_MOVE = 1;

    /// <summary>Never block on the pipe (the sockets are non-blocking already).</summary>
    public const uint SPLICE_F_NONBLOCK = 2;

    [LibraryImport(Library, SetLastError = true)]
    public static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport(Library, SetLastError = true)]
    public static unsafe partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int close(int fd);
}
