using System.Net;
using BenchmarkDotNet.Attributes;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;

namespace EgressGuard.Benchmarks;

/// <summary>
/// One policy decision, steady state (issue 17: 0 B allocated per decision): an allowed and a
/// denied address, each as an IP literal and as a name already in the DNS cache, against a
/// 1,000,000-range threat list with the non-public guard on, as the CONNECT gate asks it.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    // Public addresses, so the list (not the guard) decides: one is added to the list, one is not.
    private static readonly IPAddress Allowed = IPAddress.Parse("93.184.216.34");
    private static readonly IPAddress Denied = IPAddress.Parse("45.33.32.156");

    private EgressPolicy _policy = null!;
    private ClientIdentity _client = null!;
    private Target _allowedIp = null!;
    private Target _deniedIp = null!;
    private Target _allowedName = null!;
    private Target _deniedName = null!;

    private sealed class FixedResolver : IResolver
    {
        private static readonly Resolution.Resolution Good = new([Allowed], [], ResolutionError.None, null, TimeSpan.FromHours(1));
        private static readonly Resolution.Resolution Bad = new([Denied], [], ResolutionError.None, null, TimeSpan.FromHours(1));

        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(name.StartsWith("bad.", StringComparison.Ordinal) ? Bad : Good);
    }

    [GlobalSetup]
    public void Setup()
    {
        var builder = new IpRangeIndexBuilder();
        Synthetic.AddRandomRanges(builder, 1_000_000, seed: 5);
        var threat = builder.AddSource("list:threat-bench");
        builder.Add(threat, IpRange.FromAddress(Denied));
        var snapshot = new PolicySnapshot(builder.Build(), DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1);
        _policy = new EgressPolicy(new PolicyHolder(snapshot), new CachingResolver(new FixedResolver(), new DnsOptions(), TimeProvider.System), AddressPreference.IPv4);
        _client = new ClientIdentity(IPAddress.Parse("10.1.2.3"));
        _allowedIp = Parse("93.184.216.34:443");
        _deniedIp = Parse("45.33.32.156:443");
        _allowedName = Parse("www.example.com:443");
        _deniedName = Parse("bad.example.com:443");

        // Warm the DNS cache and every lazily built value; the benchmarks measure the steady state.
        if (!DecideAllowedIp() || DecideDeniedIp() || !DecideAllowedName() || DecideDeniedName())
        {
            throw new InvalidOperationException($"the benchmark's policy does not decide as intended: {DecideAllowedIp()} {DecideDeniedIp()} {DecideAllowedName()} {DecideDeniedName()}");
        }
    }

    [Benchmark]
    public bool DecideAllowedIp() => Decide(_allowedIp);

    [Benchmark]
    public bool DecideDeniedIp() => Decide(_deniedIp);

    [Benchmark]
    public bool DecideAllowedName() => Decide(_allowedName);

    [Benchmark]
    public bool DecideDeniedName() => Decide(_deniedName);

    // Decision is internal to the product, so the benchmarks return whether it allowed (a field read, no allocation).
    private bool Decide(Target target) => _policy.DecideAsync(target, _client, default).GetAwaiter().GetResult().IsAllowed;

    private static Target Parse(string authority) =>
        TargetParser.TryParseAuthority(authority, -1, out var target, out _) ? target : throw new ArgumentException(authority);
}
