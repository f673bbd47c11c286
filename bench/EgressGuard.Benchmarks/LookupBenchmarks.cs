using System.Net;
using BenchmarkDotNet.Attributes;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Benchmarks;

/// <summary>Address lookup among a million IPv4 ranges and 100k IPv6 ranges (seeded, overlapping).</summary>
[MemoryDiagnoser]
public class LookupBenchmarks
{
    private IpRangeIndex _index = null!;
    private IPAddress _hit = null!;
    private IPAddress _miss = null!;
    private IPAddress _v6 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2026);
        var builder = new IpRangeIndex.Builder();
        var source = builder.AddSource("list:bench");
        for (var i = 0; i < 1_000_000; i++)
        {
            var first = (uint)random.NextInt64(0x0100_0000, 0xDF00_0000);
            var prefix = random.Next(24, 33);
            first &= prefix == 32 ? uint.MaxValue : ~((1u << (32 - prefix)) - 1);
            builder.Add(source, new IpRange(true, first, first + (prefix == 32 ? 0u : (1u << (32 - prefix)) - 1)));
        }

        for (var i = 0; i < 100_000; i++)
        {
            var first = ((UInt128)(ulong)random.NextInt64() << 64) & ~(UInt128)ulong.MaxValue;
            builder.Add(source, new IpRange(false, first, first | ulong.MaxValue));
        }

        builder.Add(source, new IpRange(true, IpNumber.ToUInt32(IPAddress.Parse("203.0.113.66")), IpNumber.ToUInt32(IPAddress.Parse("203.0.113.66"))));
        _index = builder.Build();
        _hit = IPAddress.Parse("203.0.113.66");
        _miss = IPAddress.Parse("240.1.2.3");
        _v6 = IPAddress.Parse("2606:4700::1111");
    }

    [Benchmark]
    public bool Ipv4Hit() => _index.TryMatch(_hit, out _);

    [Benchmark]
    public bool Ipv4Miss() => _index.TryMatch(_miss, out _);

    [Benchmark]
    public bool Ipv6() => _index.TryMatch(_v6, out _);
}
