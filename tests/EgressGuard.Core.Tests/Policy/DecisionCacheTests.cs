using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Policy;

public class DecisionCacheTests
{
    private sealed class CountingResolver : IResolver
    {
        public int Queries { get; private set; }

        public string Address { get; set; } = "93.184.216.34";

        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            Queries++;
            return ValueTask.FromResult(new Resolution.Resolution([IPAddress.Parse(Address)], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)));
        }
    }

    private static Target T(string authority)
    {
        Assert.True(TargetParser.TryParseAuthority(authority, -1, out var target, out _));
        return target;
    }

    private static (EgressPolicy Policy, PolicyHolder Holder, CountingResolver Dns, FakeTimeProvider Clock) Create(RuleSet? rules = null)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var dns = new CountingResolver();
        var holder = new PolicyHolder(new PolicySnapshot(IpRangeIndex.Empty, DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1, rules));
        var policy = new EgressPolicy(holder, new CachingResolver(dns, new DnsOptions(), clock), AddressPreference.IPv4, clock);
        return (policy, holder, dns, clock);
    }

    [Fact]
    public async Task Decide_RepeatedAllowedDestination_SameDecisionReused()
    {
        var (policy, _, dns, _) = Create();
        var first = await policy.DecideAsync(T("example.test:443"), default);
        var second = await policy.DecideAsync(T("example.test:443"), default);
        Assert.Same(first, second);
        Assert.Equal(1, dns.Queries);
    }

    [Fact]
    public async Task Decide_RepeatedDeniedDestination_SameDecisionReusedUntilPolicySwapped()
    {
        var (policy, holder, dns, _) = Create();
        var ips = new IpRangeIndexBuilder();
        ips.Add(ips.AddSource("list:new"), IpNetworkParser.Parse("93.184.216.34"));
        holder.Swap(new PolicySnapshot(ips.Build(), DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 2));
        var first = await policy.DecideAsync(T("example.test:443"), default);
        var second = await policy.DecideAsync(T("example.test:443"), default);
        Assert.Equal(DecisionAction.Deny, first.Action);
        Assert.Same(first, second);
        Assert.Equal(1, dns.Queries);

        holder.Swap(new PolicySnapshot(IpRangeIndex.Empty, DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 3));
        Assert.True((await policy.DecideAsync(T("example.test:443"), default)).IsAllowed);
    }

    [Fact]
    public async Task Decide_PolicySwapped_Reevaluated()
    {
        var (policy, holder, _, _) = Create();
        var first = await policy.DecideAsync(T("example.test:443"), default);
        var ips = new IpRangeIndexBuilder();
        ips.Add(ips.AddSource("list:new"), IpNetworkParser.Parse("93.184.216.34"));
        holder.Swap(new PolicySnapshot(ips.Build(), DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 2));
        var second = await policy.DecideAsync(T("example.test:443"), default);
        Assert.True(first.IsAllowed);
        Assert.Equal(DecisionAction.Deny, second.Action);
    }

    [Fact]
    public async Task Decide_DnsAnswerChanged_Reevaluated()
    {
        var (policy, _, dns, clock) = Create();
        var first = await policy.DecideAsync(T("example.test:443"), default);
        dns.Address = "10.1.2.3";
        clock.Advance(TimeSpan.FromMinutes(2)); // the cached answer expires
        var second = await policy.DecideAsync(T("example.test:443"), default);
        Assert.True(first.IsAllowed);
        Assert.Equal(DecisionReasons.NonPublic, second.Reason);
    }

    [Fact]
    public async Task Decide_ClientScopedRules_NotReused()
    {
        var document = System.Text.Json.JsonSerializer.Deserialize<RulesDocument>("""{"rules":[{"id":"team","action":"deny","destinations":["example.test"],"sources":["10.9.0.0/16"]}]}""")!;
        var (policy, _, _, _) = Create(RuleCompiler.Compile(document, _ => true, DateTimeOffset.MinValue).Set);
        var other = await policy.DecideAsync(T("example.test:443"), new ClientIdentity(IPAddress.Parse("10.1.1.1")), default);
        var team = await policy.DecideAsync(T("example.test:443"), new ClientIdentity(IPAddress.Parse("10.9.1.1")), default);
        Assert.True(other.IsAllowed);
        Assert.Equal(DecisionAction.Deny, team.Action);
    }
}
