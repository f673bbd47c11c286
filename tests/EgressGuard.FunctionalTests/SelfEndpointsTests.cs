using System.Net;
using EgressGuard.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.FunctionalTests;

/// <summary>The proxy's own listeners, keyed by address and port, with the local addresses read again (issue 16, item 11).</summary>
public sealed class SelfEndpointsTests
{
    private static readonly IPAddress Lan = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void IsSelf_OwnAddressOnAnotherPort_NotSelf()
    {
        var self = new SelfEndpoints(new FakeTimeProvider(), () => new HashSet<IPAddress>());
        self.Register(new IPEndPoint(IPAddress.Loopback, 3128));
        Assert.True(self.IsSelf(IPAddress.Loopback, 3128));
        Assert.False(self.IsSelf(IPAddress.Loopback, 3129));
    }

    [Fact]
    public void IsSelf_TwoListenersOnOnePortAtTwoAddresses_BothSelfOthersNot()
    {
        var self = new SelfEndpoints(new FakeTimeProvider(), () => new HashSet<IPAddress>());
        self.Register(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8080));
        self.Register(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 8080));
        Assert.True(self.IsSelf(IPAddress.Parse("127.0.0.2"), 8080));
        Assert.True(self.IsSelf(IPAddress.Parse("::ffff:127.0.0.3"), 8080));
        Assert.False(self.IsSelf(IPAddress.Parse("127.0.0.4"), 8080));
    }

    [Fact]
    public void IsSelf_WildcardListenerAndAnAddressAddedLater_SeenAtTheNextRefresh()
    {
        var clock = new FakeTimeProvider();
        var local = new HashSet<IPAddress>();
        var self = new SelfEndpoints(clock, () => new HashSet<IPAddress>(local));
        self.Register(new IPEndPoint(IPAddress.Any, 3128));
        Assert.True(self.IsSelf(IPAddress.Loopback, 3128));
        Assert.False(self.IsSelf(Lan, 3128));

        local.Add(Lan); // e.g. DHCP gave the machine a new address
        clock.Advance(SelfEndpoints.RefreshInterval);
        Assert.True(self.IsSelf(Lan, 3128));
        Assert.False(self.IsSelf(Lan, 3129));
    }
}
