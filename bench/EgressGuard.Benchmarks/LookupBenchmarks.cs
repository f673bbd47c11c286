using System.Net;
using BenchmarkDotNet.Attributes;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Benchmarks;

/// <summary>
/// Address lookup at 10 k, 1 M and 10 M synthetic ranges (seeded random /24–/32 IPv4 plus 10 %
/// IPv6 /64s, overlapping) plus the real Feodo sample, hit and miss, against a naive baseline
/// (a list of <see cref="IPNetwork"/> scanned, as small proxies do).
/// </summary>
[MemoryDiagnoser]
public class LookupBenchmarks
{
    private IpRangeIndex _index = null!;
    private IPNetwork[] _naive = null!;
    private IPAddress _hit = null!;
    private IPAddress _miss = null!;
    private IPAddress _v6 = null!;

    [Params(10_000, 1_000_000, 10_000_000)]
    public int Ranges { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = new IpRangeIndexBuilder();
        Synthetic.AddRandomRanges(builder, Ranges, seed: 2026);
        var feodo = builder.AddSource("feed:feodo");
        builder.Add(feodo, IpNetworkParser.Parse("203.0.113.66"));
        _index = builder.Build();
        _naive = Ranges <= 10_000 ? Synthetic.Networks(Ranges, seed: 2026) : [];
        _hit = IPAddress.Parse("203.0.113.66");
        _miss = IPAddress.Parse("240.1.2.3");
        _v6 = IPAddress.Parse("2606:4700::1111");
    }

    [Benchmark]
    public bool Ipv4Hit() => _index.TryMatchAll(_hit, out _);

    [Benchmark]
    public bool Ipv4Miss() => _index.TryMatchAll(_miss, out _);

    [Benchmark]
    public bool Ipv6() => _index.TryMatchAll(_v6, out _);

    /// <summary>The baseline: scan every network (only run at 10 k, it is linear).</summary>
    [Benchmark]
    public bool NaiveScanMiss()
    {
        foreach (var network in _naive)
        {
            if (network.Contains(_miss))
            {
                return true;
            }
        }

        return false;
    }
}
