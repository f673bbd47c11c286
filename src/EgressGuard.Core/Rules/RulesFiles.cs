namespace EgressGuard.Rules;

/// <summary>File I/O for the rules: atomic writes (temp file, fsync, rename) and reads that wait out an editor's write.</summary>
internal static class RulesFiles
{
    /// <summary>Writes <paramref name="content"/> so that a reader sees the old file or the new one, never half of it.</summary>
    public static async Task WriteAtomicAsync(string path, string content)
    {
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content)).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The same, synchronously (adopting the fleet's rules runs under the edit lock without awaiting).</summary>
    public static void WriteAtomic(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    public static async Task<string> ReadAllTextAsync(string path)
    {
        // The file may be mid-write by an editor: retry briefly on sharing violations.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await File.ReadAllTextAsync(path).ConfigureAwait(false);
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }
}
