using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using EgressGuard.Tls;

namespace EgressGuard.Benchmarks;

/// <summary>The leaf certificate for an intercepted tunnel: a cache hit (every tunnel after the first to a host) and a mint (the first).</summary>
[MemoryDiagnoser]
public class InterceptionBenchmarks
{
    private InterceptionAuthority _authority = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Bench CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        _authority = InterceptionAuthority.Create(ca, key, TimeSpan.FromDays(7), 1_000_000, TimeProvider.System);
        _authority.Get("cached.example.com");
    }

    [GlobalCleanup]
    public void Cleanup() => _authority.Dispose();

    [Benchmark(Baseline = true)]
    public object CachedLeaf() => _authority.Get("cached.example.com");

    [Benchmark]
    public object MintLeaf() => _authority.Get($"host{Interlocked.Increment(ref _next)}.example.com");
}
