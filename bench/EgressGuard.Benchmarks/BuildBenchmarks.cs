using BenchmarkDotNet.Attributes;
using EgressGuard.Lists;

namespace EgressGuard.Benchmarks;

/// <summary>Parse a feed's text and build the index: the cost of one refresh (target: 1 M lines ≤ 1 s).</summary>
[MemoryDiagnoser]
public class BuildBenchmarks
{
    private string _text = null!;

    [Params(1_000_000, 10_000_000)]
    public int Lines { get; set; }

    [GlobalSetup]
    public void Setup() => _text = Synthetic.FeedText(Lines, seed: 7);

    [Benchmark]
    public int ParseAndBuild()
    {
        var (entries, _, _) = IpListParser.Parse(new StringReader(_text), "bench");
        var builder = new IpRangeIndexBuilder();
        builder.AddRange(builder.AddSource("feed:bench"), entries);
        return builder.Build().SegmentCount;
    }
}
