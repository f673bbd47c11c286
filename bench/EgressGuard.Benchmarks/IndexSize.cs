using EgressGuard.Lists;

namespace EgressGuard.Benchmarks;

/// <summary>
/// Retained managed size of the range index (<c>-- index-size [entries]</c>, default 100,000): the
/// heap after a full collection with the built index alive, minus before. Not a BenchmarkDotNet
/// run: MemoryDiagnoser counts allocations, not what stays.
/// </summary>
internal static class IndexSize
{
    public static void Run(int entries)
    {
        var builder = new IpRangeIndexBuilder();
        Synthetic.AddRandomRanges(builder, entries, seed: 7);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var index = builder.Build();
        builder = null;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{entries:N0} entries, {index.EntryCount:N0} distinct, {index.SegmentCount:N0} segments: {after - before:N0} bytes retained ({(double)(after - before) / index.EntryCount:F1} B/entry)");
        GC.KeepAlive(index);
    }
}
