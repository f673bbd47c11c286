using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// One test class's world, all on loopback: a DNS server with the test zone, upstreams on
/// 127.0.0.1 (allowed) and 127.0.0.66 (listed: any connection to it is a failure), a TLS upstream,
/// raw TCP servers, and the proxy with 127.0.0.0/8 and ::1 exempt from the non-public guard.
/// </summary>
public class ProxyEnvironment : IAsyncLifetime
{
    public const string BadIps = "# test list\n127.0.0.66\n127.0.0.77/32\n";
    public const string BadDomains = "c2.test\n*.evil.test\n";

    public TestDnsServer Dns { get; } = new();

    public TestUpstream Good { get; private set; } = null!;

    public TestUpstream Bad { get; private set; } = null!;

    public TestUpstream Tls { get; private set; } = null!;

    public X509Certificate2 TlsCertificate { get; } = TestCertificates.Create("secure.test");

    public TcpTestServer Echo { get; } = new(IPAddress.Loopback);

    public TcpTestServer BadEcho { get; } = new(IPAddress.Parse("127.0.0.66"));

    public TestProxy Proxy { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Same port on the listed address, so that a name switching addresses would reach it. That
        // port may already be taken on 127.0.0.66 by another test's server: then try another pair.
        for (var attempt = 1; ; attempt++)
        {
            Good = await TestUpstream.StartAsync(IPAddress.Loopback);
            try
            {
                Bad = await TestUpstream.StartAsync(IPAddress.Parse("127.0.0.66"), Good.Port);
                break;
            }
            catch (IOException) when (attempt < 10)
            {
                await Good.DisposeAsync();
            }
        }

        Tls = await TestUpstream.StartAsync(IPAddress.Loopback, 0, TlsCertificate);

        Dns.A("good.test", "127.0.0.1")
            .Aaaa("good6.test", "::1")
            .A("bad.test", "127.0.0.66")
            .A("mixed.test", "127.0.0.1").A("mixed.test", "127.0.0.66")
            .Cname("alias.test", "cdn.evil.test").A("cdn.evil.test", "127.0.0.1")
            .Cname("chain.test", "good.test")
            .A("secure.test", "127.0.0.1")
            .A("private.test", "10.20.30.40")
            .ServFail("servfail.test")
            .Changing("rebind.test", n => n == 1 ? IPAddress.Loopback : IPAddress.Parse("127.0.0.66"));

        Proxy = await TestProxy.StartAsync(Dns.Endpoint, BadIps, BadDomains, [.. ProxyArguments]);
    }

    /// <summary>Command-line overrides of the proxy's configuration (a variant environment's own).</summary>
    protected virtual IReadOnlyList<string> ProxyArguments => [];

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Good.DisposeAsync();
        await Bad.DisposeAsync();
        await Tls.DisposeAsync();
        Echo.Dispose();
        BadEcho.Dispose();
        Dns.Dispose();
        TlsCertificate.Dispose();
    }
}
