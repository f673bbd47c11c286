namespace EgressGuard.Admin.Status;

/// <summary>
/// <c>GET /status</c> <c>memory</c>: where the process's memory is. <see cref="GcMode"/> is
/// <c>workstation</c>, <c>server</c> or <c>datas</c> (server GC adapting its heap count);
/// <see cref="HeapBytes"/>, <see cref="CommittedBytes"/>, <see cref="FragmentedBytes"/> are the GC's
/// figures at its last collection; <see cref="WorkingSetBytes"/> is the resident set;
/// <see cref="PrivateBytes"/> the resident anonymous memory on Linux (<c>RssAnon</c>: heaps, native
/// allocations, stacks; elsewhere the private bytes); <see cref="NativeBytes"/> is what of that the
/// GC did not commit (runtime, JIT code, native libraries, kernel-side buffers are not in it).
/// </summary>
internal sealed record MemoryStatusDto(
    string GcMode,
    bool GcConcurrent,
    long HeapBytes,
    long CommittedBytes,
    long FragmentedBytes,
    long WorkingSetBytes,
    long PrivateBytes,
    long NativeBytes)
{
    public static MemoryStatusDto Now(Process process)
    {
        var gc = GC.GetGCMemoryInfo();
        var settings = GC.GetConfigurationVariables();
        var server = settings.TryGetValue("ServerGC", out var s) && s is true;
        var datas = server && settings.TryGetValue("GCDynamicAdaptationMode", out var d) && Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) == 1;
        var concurrent = settings.TryGetValue("ConcurrentGC", out var c) && c is true;
        // One read of /proc/self/status for both, so that resident ≥ anonymous holds in the answer.
        var (resident, anonymous) = ProcStatus();
        var privateBytes = anonymous ?? process.PrivateMemorySize64;
        return new MemoryStatusDto(
            datas ? "datas" : server ? "server" : "workstation",
            concurrent,
            gc.HeapSizeBytes,
            gc.TotalCommittedBytes,
            gc.FragmentedBytes,
            resident ?? Environment.WorkingSet,
            privateBytes,
            Math.Max(0, privateBytes - gc.TotalCommittedBytes));
    }

    /// <summary>The <c>VmRSS</c> and <c>RssAnon</c> lines of <c>/proc/self/status</c> (kB), in bytes; nulls where there are none.</summary>
    private static (long? Resident, long? Anonymous) ProcStatus()
    {
        long? resident = null, anonymous = null;
        if (!OperatingSystem.IsLinux())
        {
            return (resident, anonymous);
        }

        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line.AsSpan(6));
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anonymous = Kilobytes(line.AsSpan(8));
            }
        }

        return (resident, anonymous);
    }

    private static long? Kilobytes(ReadOnlySpan<char> value) =>
        long.TryParse(value.Trim().TrimEnd("kB").Trim(), out var kilobytes) ? kilobytes * 1024 : null;
}
