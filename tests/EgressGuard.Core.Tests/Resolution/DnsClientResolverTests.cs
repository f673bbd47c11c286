using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Resolution;
using RecordType = ARSoft.Tools.Net.Dns.RecordType;

// Not EgressGuard.Tests.Resolution: that namespace would hide the type EgressGuard.Resolution.Resolution
// from the other test namespaces, which name it as Resolution.Resolution.
namespace EgressGuard.Tests.Resolvers;

/// <summary>The DnsClient-based resolver against a real DNS server on 127.0.0.1 (UDP, in process).</summary>
public sealed class DnsClientResolverTests : IDisposable
{
    private readonly TestDnsServer _dns = new();

    public void Dispose() => _dns.Dispose();

    private DnsClientResolver Resolver(Action<DnsOptions>? configure = null)
    {
        var options = new DnsOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Retries = 1 };
        configure?.Invoke(options);
        return new DnsClientResolver(options);
    }

    private static async Task<EgressGuard.Resolution.Resolution> ResolveAsync(DnsClientResolver resolver, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await resolver.ResolveAsync(name, timeout.Token);
    }

    private static IPAddress[] Ips(params string[] addresses) => addresses.Select(IPAddress.Parse).ToArray();

    [Fact]
    public async Task ResolveAsync_AAndAaaa_EveryAddressIpv4First()
    {
        _dns.Aaaa("dual.test", "2001:db8::1").A("dual.test", "192.0.2.1").A("dual.test", "192.0.2.2");

        var result = await ResolveAsync(Resolver(), "dual.test");

        Assert.True(result.Succeeded);
        Assert.Equal(ResolutionError.None, result.Error);
        Assert.Null(result.ErrorDetail);
        Assert.Equal(Ips("192.0.2.1", "192.0.2.2", "2001:db8::1"), result.Addresses);
        Assert.Empty(result.CanonicalNames);
    }

    [Fact]
    public async Task ResolveAsync_OnlyAaaa_Ipv6AddressesSuffice()
    {
        _dns.Aaaa("six.test", "2001:db8::6");

        var result = await ResolveAsync(Resolver(), "six.test");

        Assert.True(result.Succeeded);
        Assert.Equal(Ips("2001:db8::6"), result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_Ipv4MappedAaaa_CanonicalisedAndCountedOnce()
    {
        // ::ffff:a.b.c.d is the IPv4 address it maps: checked and dialled as such, and not twice.
        _dns.A("mapped.test", "192.0.2.7").Aaaa("mapped.test", "::ffff:192.0.2.7").Aaaa("mapped.test", "::ffff:198.51.100.1");

        var result = await ResolveAsync(Resolver(), "mapped.test");

        Assert.Equal(Ips("192.0.2.7", "198.51.100.1"), result.Addresses);
        Assert.All(result.Addresses, a => Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, a.AddressFamily));
    }

    [Fact]
    public async Task ResolveAsync_Ttls_SmallestOfTheAnswer()
    {
        _dns.A("ttl.test", "192.0.2.1", ttl: 90).A("ttl.test", "192.0.2.2", ttl: 30).Aaaa("ttl.test", "2001:db8::1", ttl: 120);

        var result = await ResolveAsync(Resolver(), "ttl.test");

        Assert.Equal(TimeSpan.FromSeconds(30), result.TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_LongTtl_CappedAtMaxCacheTtl()
    {
        _dns.A("long.test", "192.0.2.1", ttl: 86_400);

        var result = await ResolveAsync(Resolver(o => o.MaxCacheTtl = TimeSpan.FromMinutes(2)), "long.test");

        Assert.Equal(TimeSpan.FromMinutes(2), result.TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_ZeroTtl_Zero()
    {
        _dns.A("zero.test", "192.0.2.1", ttl: 0);

        Assert.Equal(TimeSpan.Zero, (await ResolveAsync(Resolver(), "zero.test")).TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_OwnerInOtherCase_Accepted()
    {
        // Names compare without case (servers may echo 0x20-randomised or zone-file case).
        _dns.A("Mixed.Test", "192.0.2.9");

        Assert.Equal(Ips("192.0.2.9"), (await ResolveAsync(Resolver(), "mixed.test")).Addresses);
    }

    [Fact]
    public async Task ResolveAsync_CnameChainAnsweredByServer_NamesAndFinalAddresses()
    {
        _dns.Cname("www.test", "cdn.test").Cname("cdn.test", "edge.test").A("edge.test", "192.0.2.50").Aaaa("edge.test", "2001:db8::50");

        var result = await ResolveAsync(Resolver(), "www.test");

        Assert.True(result.Succeeded);
        Assert.Equal(["cdn.test", "edge.test"], result.CanonicalNames);
        Assert.Equal(Ips("192.0.2.50", "2001:db8::50"), result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_CnameWithoutTargetRecords_ResolverFollowsIt()
    {
        _dns.FollowCnames = false;
        _dns.Cname("alias.test", "hop.test").Cname("hop.test", "target.test").A("target.test", "192.0.2.60");

        var result = await ResolveAsync(Resolver(), "alias.test");

        Assert.True(result.Succeeded);
        Assert.Equal(["hop.test", "target.test"], result.CanonicalNames);
        Assert.Equal(Ips("192.0.2.60"), result.Addresses);
        Assert.True(_dns.Queries("target.test", RecordType.A) >= 1, "the resolver asked for the CNAME's target itself");
    }

    [Fact]
    public async Task ResolveAsync_CnameLoop_CnameChainError()
    {
        _dns.Cname("loop-a.test", "loop-b.test").Cname("loop-b.test", "loop-a.test");

        var result = await ResolveAsync(Resolver(), "loop-a.test");

        Assert.False(result.Succeeded);
        Assert.Equal(ResolutionError.CnameChain, result.Error);
        Assert.Contains("CNAME loop", result.ErrorDetail, StringComparison.Ordinal);
        Assert.Empty(result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_CnameLoopFollowedByResolver_CnameChainError()
    {
        _dns.FollowCnames = false;
        _dns.Cname("loop-a.test", "loop-b.test").Cname("loop-b.test", "loop-a.test");

        var result = await ResolveAsync(Resolver(), "loop-a.test");

        Assert.Equal(ResolutionError.CnameChain, result.Error);
        Assert.Empty(result.Addresses);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResolveAsync_ChainAtMaxLength_Resolves(bool serverFollows)
    {
        _dns.FollowCnames = serverFollows;
        _dns.Cname("c0.test", "c1.test").Cname("c1.test", "c2.test").A("c2.test", "192.0.2.70");

        var result = await ResolveAsync(Resolver(o => o.MaxCnameChain = 2), "c0.test");

        Assert.True(result.Succeeded, result.ErrorDetail);
        Assert.Equal(Ips("192.0.2.70"), result.Addresses);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResolveAsync_ChainOverMaxLength_CnameChainErrorNoAddresses(bool serverFollows)
    {
        _dns.FollowCnames = serverFollows;
        _dns.Cname("c0.test", "c1.test").Cname("c1.test", "c2.test").Cname("c2.test", "c3.test").A("c3.test", "192.0.2.70");

        var result = await ResolveAsync(Resolver(o => o.MaxCnameChain = 2), "c0.test");

        Assert.Equal(ResolutionError.CnameChain, result.Error);
        Assert.Contains("longer than 2", result.ErrorDetail, StringComparison.Ordinal);
        Assert.Empty(result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_StrayRecordInAnswer_Ignored()
    {
        // An answer may carry a record for a name nobody asked about: it must not add an address.
        _dns.A("app.test", "192.0.2.80").Stray("app.test", "evil.test", "203.0.113.66");

        var result = await ResolveAsync(Resolver(), "app.test");

        Assert.Equal(Ips("192.0.2.80"), result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_StrayRecordBesideCname_Ignored()
    {
        _dns.Cname("www.test", "edge.test").A("edge.test", "192.0.2.81").Stray("www.test", "other.test", "203.0.113.67");

        var result = await ResolveAsync(Resolver(), "www.test");

        Assert.Equal(Ips("192.0.2.81"), result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_UnknownName_NxDomain()
    {
        var result = await ResolveAsync(Resolver(), "nowhere.test");

        Assert.False(result.Succeeded);
        Assert.Equal(ResolutionError.NxDomain, result.Error);
        Assert.Equal("DNS NXDOMAIN for nowhere.test", result.ErrorDetail);
        Assert.Empty(result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_CnameToUnknownName_NxDomainWithTheChain()
    {
        _dns.Cname("dangling.test", "gone.test");

        var result = await ResolveAsync(Resolver(), "dangling.test");

        Assert.Equal(ResolutionError.NxDomain, result.Error);
        Assert.Contains("gone.test", result.ErrorDetail, StringComparison.Ordinal);
        Assert.Equal(["gone.test"], result.CanonicalNames);
    }

    [Fact]
    public async Task ResolveAsync_NameWithoutAddressRecords_NoAddresses()
    {
        _dns.NoData("empty.test");

        var result = await ResolveAsync(Resolver(), "empty.test");

        Assert.Equal(ResolutionError.NoAddresses, result.Error);
        Assert.Equal("empty.test has no A or AAAA records", result.ErrorDetail);
    }

    [Fact]
    public async Task ResolveAsync_ServFail_ServerFailure()
    {
        _dns.ServFail("broken.test");

        var result = await ResolveAsync(Resolver(), "broken.test");

        Assert.Equal(ResolutionError.ServerFailure, result.Error);
        Assert.Contains("broken.test", result.ErrorDetail, StringComparison.Ordinal);
        Assert.Empty(result.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_ServerNeverAnswers_TimeoutWithinBound()
    {
        using var silent = new SilentDnsServer();
        var resolver = new DnsClientResolver(new DnsOptions { Servers = [silent.Endpoint], Timeout = TimeSpan.FromMilliseconds(200), Retries = 0 });
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = await ResolveAsync(resolver, "slow.test");

        Assert.Equal(ResolutionError.Timeout, result.Error);
        Assert.StartsWith("DNS timeout resolving slow.test", result.ErrorDetail, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, result.TimeToLive);
        // A and AAAA are asked in parallel: one timeout, not two (generous for a loaded machine).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ResolveAsync_CancelledWhileWaiting_EndsPromptlyAsTimeout()
    {
        // DnsClient reports a cancelled query as a timeout rather than throwing. In the proxy the
        // caching resolver never cancels this lookup (it is shared by every waiter); this pins that
        // a cancelled one still ends at once, long before its own 30 s timeout.
        using var silent = new SilentDnsServer();
        var resolver = new DnsClientResolver(new DnsOptions { Servers = [silent.Endpoint], Timeout = TimeSpan.FromSeconds(30), Retries = 0 });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = await resolver.ResolveAsync("slow.test", cancel.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(ResolutionError.Timeout, result.Error);
        Assert.Empty(result.Addresses);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("app.localhost")]
    [InlineData("a.b.localhost")]
    public async Task ResolveAsync_Localhost_LoopbackWithoutAsking(string name)
    {
        var result = await ResolveAsync(Resolver(), name);

        Assert.True(result.Succeeded);
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], result.Addresses);
        Assert.Equal(0, _dns.Queries(name, RecordType.A) + _dns.Queries(name, RecordType.Aaaa));
    }

    [Theory]
    [InlineData("localhost.test")]
    [InlineData("notlocalhost")]
    public async Task ResolveAsync_NamesMerelyContainingLocalhost_AskedOfTheServer(string name)
    {
        var result = await ResolveAsync(Resolver(), name);

        Assert.Equal(ResolutionError.NxDomain, result.Error);
        Assert.True(_dns.Queries(name, RecordType.A) >= 1);
    }

    [Theory]
    [InlineData("127.0.0.1:5353", "127.0.0.1", 5353)]
    [InlineData("127.0.0.1", "127.0.0.1", 53)]
    [InlineData("[::1]:5300", "::1", 5300)]
    [InlineData("::1", "::1", 53)]
    [InlineData("[2001:db8::53]", "2001:db8::53", 53)]
    public void ParseServer_IpAndOptionalPort_Endpoint(string text, string address, int port)
    {
        var endpoint = DnsClientResolver.ParseServer(text);

        Assert.Equal(IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("dns.example:53")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("300.0.0.1")]
    public void ParseServer_NotIpPort_FormatExceptionNamingIt(string text)
    {
        var ex = Assert.Throws<FormatException>(() => DnsClientResolver.ParseServer(text));

        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Servers_Configured_ListedInOrder()
    {
        var resolver = new DnsClientResolver(new DnsOptions { Servers = ["127.0.0.1:5301", "127.0.0.2"] });

        Assert.Equal(2, resolver.Servers.Count);
        Assert.Contains("5301", resolver.Servers[0], StringComparison.Ordinal);
        Assert.Contains("127.0.0.2", resolver.Servers[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_SecondServerAnswersWhenFirstIsSilent_Resolved()
    {
        using var silent = new SilentDnsServer();
        _dns.A("fallback.test", "192.0.2.90");
        var resolver = new DnsClientResolver(new DnsOptions { Servers = [silent.Endpoint, _dns.Endpoint], Timeout = TimeSpan.FromSeconds(1), Retries = 0 });

        var result = await ResolveAsync(resolver, "fallback.test");

        Assert.True(result.Succeeded, result.ErrorDetail);
        Assert.Equal(Ips("192.0.2.90"), result.Addresses);
    }
}
