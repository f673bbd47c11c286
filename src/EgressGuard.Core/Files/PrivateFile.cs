namespace EgressGuard.Files;

/// <summary>
/// Files that hold secrets or personal data (the admin token, the credentials file, history.db, the
/// decision, access and audit logs, the quarantine file, the interception CA's key) are created with
/// their final mode — 0600, or 0640 where <c>Log:GroupReadable</c> says a group reads the logs — by
/// the <c>open(2)</c> that creates them, never chmod-ed afterwards: between a create and a chmod
/// anyone may open the file, and an open descriptor outlives the chmod. Whole-file writes go to a
/// fresh temporary file (created with the mode) and are renamed over the target, so a reader never
/// sees half a file. The process umask can only remove bits. A file that already exists (made by an
/// older version, or by hand) and is opened to append or kept (history.db) is narrowed to the mode —
/// bits removed, never added — and listed in <see cref="Narrowed"/> for the start summary to warn.
/// On Windows the directory's ACL applies.
/// </summary>
internal static class PrivateFile
{
    /// <summary>0600: the owner reads and writes.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0640: and the group reads (log shippers in the file's group).</summary>
    public const UnixFileMode GroupReadable = OwnerOnly | UnixFileMode.GroupRead;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly ConcurrentQueue<string> NarrowedFiles = new();

    /// <summary>Existing files whose mode was narrowed since start ("path: 0644 → 0600").</summary>
    public static IReadOnlyCollection<string> Narrowed => NarrowedFiles;

    /// <summary>A <see cref="FileStream"/> whose file, if this call creates it, has <paramref name="mode"/> from the start (an existing one is narrowed to it).</summary>
    public static FileStream Open(string path, FileMode fileMode, FileAccess access, FileShare share, UnixFileMode mode = OwnerOnly, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        if (fileMode is FileMode.Append or FileMode.OpenOrCreate)
        {
            Narrow(path, mode);
        }

        var create = new FileStreamOptions { Mode = fileMode, Access = access, Share = share, BufferSize = bufferSize, Options = options };
        if (!OperatingSystem.IsWindows() && fileMode is FileMode.Append or FileMode.Create or FileMode.CreateNew or FileMode.OpenOrCreate)
        {
            create.UnixCreateMode = mode;
        }

        return new FileStream(path, create);
    }

    /// <summary>Creates the file empty with <paramref name="mode"/> when it does not exist yet (e.g. before SQLite opens it).</summary>
    public static void EnsureExists(string path, UnixFileMode mode = OwnerOnly)
    {
        try
        {
            using var _ = Open(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, mode);
        }
        catch (IOException) when (File.Exists(path))
        {
            Narrow(path, mode);
        }
    }

    /// <summary>Removes from an existing file the bits <paramref name="mode"/> does not grant (a 0644 log becomes 0600; a 0600 one stays).</summary>
    public static void Narrow(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return;
        }

        try
        {
            var current = File.GetUnixFileMode(path);
            var narrowed = current & (mode | ~GroupOrOthers);
            if (narrowed != current)
            {
                File.SetUnixFileMode(path, narrowed);
                NarrowedFiles.Enqueue($"{path}: {Octal(current)} → {Octal(narrowed)}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not the proxy user's file: opening it is what reports the problem, if any.
        }
    }

    /// <summary>Replaces the file's content at once: a temporary file created with <paramref name="mode"/>, then renamed over it.</summary>
    public static void WriteAllText(string path, string content, UnixFileMode mode = OwnerOnly)
    {
        var temp = TempFor(path);
        try
        {
            using (var stream = Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, mode))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Whether group or others have any permission on the file (false on Windows, where modes do not apply).</summary>
    public static bool IsOpenToOthers(string path, out UnixFileMode mode)
    {
        mode = default;
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        mode = File.GetUnixFileMode(path);
        return (mode & GroupOrOthers) != 0;
    }

    /// <summary>The mode as <c>ls</c> and <c>chmod</c> write it (0644).</summary>
    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    /// <summary>Beside the target (same file system, so the rename is atomic) and unique, so a stale temp from a crash is never reused with its old mode.</summary>
    private static string TempFor(string path) => $"{path}.{Guid.NewGuid():N}.tmp";
}
