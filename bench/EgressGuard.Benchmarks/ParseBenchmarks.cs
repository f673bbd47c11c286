using BenchmarkDotNet.Attributes;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Benchmarks;

/// <summary>Per-request parsing and name matching.</summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private DomainSet _domains = null!;

    [GlobalSetup]
    public void Setup()
    {
        var builder = new DomainSetBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            DomainPattern.TryParse(i % 2 == 0 ? $"host{i}.example{i % 977}.com" : $"*.bad{i}.example", out var pattern, out _);
            builder.Add(pattern, "list:bench");
        }

        _domains = builder.Build();
    }

    [Benchmark]
    public object ParseName() => TargetParser.TryParseAuthority("www.example.com:443", -1, out var t, out _) ? t : null!;

    [Benchmark]
    public object ParseDecimalLiteral() => TargetParser.TryParseAuthority("2130706433:80", -1, out var t, out _) ? t : null!;

    [Benchmark]
    public object ParseIpv6() => TargetParser.TryParseAuthority("[2001:db8::1]:443", -1, out var t, out _) ? t : null!;

    [Benchmark]
    public bool DomainMissDeepName() => _domains.TryMatch("a.b.c.cdn.example.net", out _);

    [Benchmark]
    public bool DomainHitWildcard() => _domains.TryMatch("x.y.bad99.example", out _);
}
