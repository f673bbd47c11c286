namespace EgressGuard.Tunnels;

/// <summary>
/// How far a bulk direction's splice pipe may grow (<c>Proxy:SplicePipeSize</c>) and how much grown
/// capacity all tunnels may hold at once (<c>Proxy:SplicePipeBudget</c>). A pipe starts at the
/// kernel's default (64 KiB: one splice moves at most that much); a direction whose splice fills it,
/// or whose second splice in a round still finds data, is a bulk transfer, and with a 1 MiB pipe the same gigabyte takes 16× fewer splices and wake-ups
/// (bulk CPU per GiB −28 to −45 %, docs/benchmarks.md). The budget exists because Linux charges pipe
/// capacity, used or not, to the user: past <c>/proc/sys/fs/pipe-user-pages-soft</c> (64 MiB by
/// default) every new pipe of an unprivileged user gets two pages only, which would slow every
/// other tunnel.
/// </summary>
internal sealed class SpliceGrowth : IDisposable
{
    /// <summary>
    /// Grown pipes kept between a bulk direction's rounds, for it or the next bulk direction; more
    /// would hold budget no new direction could use (<see cref="TryTake"/> frees one when it must).
    /// </summary>
    private const int MaxIdle = 8;

    private readonly long _budget;
    private readonly Stack<SplicePipe> _idle = new();
    private readonly Lock _lock = new();
    private long _taken;

    /// <param name="size">Bytes a bulk direction's pipe grows to; at most the kernel default (65536): never grow.</param>
    /// <param name="budget">Grown capacity, in bytes, all tunnels may hold at once.</param>
    public SpliceGrowth(int size, long budget)
    {
        // The kernel rounds a pipe up to a power of two pages; the budget counts what it will grant.
        Size = size <= 65536 ? size : (int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size), 1u << 30);
        _budget = budget;
    }

    public int Size { get; }

    /// <summary>Grown capacity held now, in bytes.</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>
    /// Takes <paramref name="bytes"/> of the budget; false when that would exceed it even after
    /// closing the idle grown pipes that hold it (a direction that is moving bytes needs it more).
    /// </summary>
    public bool TryTake(int bytes)
    {
        while (true)
        {
            var taken = Interlocked.Read(ref _taken);
            if (taken + bytes > _budget)
            {
                if (TryRentIdle() is not { } idle)
                {
                    return false;
                }

                idle.Dispose(); // gives its share back
                continue;
            }

            if (Interlocked.CompareExchange(ref _taken, taken + bytes, taken) == taken)
            {
                return true;
            }
        }
    }

    public void Release(int bytes) => Interlocked.Add(ref _taken, -bytes);

    /// <summary>Grown pipes idle now, kept for the next bulk round.</summary>
    public int Idle
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>An idle grown pipe for a direction known to be bulk, or null.</summary>
    public SplicePipe? TryRentIdle()
    {
        lock (_lock)
        {
            return _idle.TryPop(out var pipe) ? pipe : null;
        }
    }

    /// <summary>
    /// Keeps an empty grown pipe for the next bulk round (its budget stays taken); false when enough
    /// are kept, and the caller closes it. Grown pipes are never mixed into the default pool, so a
    /// short tunnel never holds a megabyte of the user's pipe allowance.
    /// </summary>
    public bool TryKeepIdle(SplicePipe pipe)
    {
        lock (_lock)
        {
            if (_idle.Count >= MaxIdle)
            {
                return false;
            }

            _idle.Push(pipe);
            return true;
        }
    }

    /// <summary>Closes the idle grown pipes (the host is stopping).</summary>
    public void Dispose()
    {
        while (TryRentIdle() is { } idle)
        {
            idle.Dispose();
        }
    }
}
