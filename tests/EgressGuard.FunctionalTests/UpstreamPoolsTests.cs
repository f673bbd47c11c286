using System.Net;
using EgressGuard.Dialing;
using EgressGuard.Identity;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.FunctionalTests;

/// <summary>The per-identity upstream pools: who shares a pool, and how the set stays bounded.</summary>
public sealed class UpstreamPoolsTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(60);

    private static UpstreamPools Create(FakeTimeProvider clock, int capacity, List<HttpMessageInvoker> created) =>
        new(() =>
        {
            var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
            created.Add(invoker);
            return invoker;
        }, clock, Idle, capacity);

    [Fact]
    public void Rent_UserOrAddress_OnePoolPerIdentity()
    {
        var created = new List<HttpMessageInvoker>();
        using var pools = Create(new FakeTimeProvider(), 16, created);
        var a = IPAddress.Parse("10.0.0.1");
        var b = IPAddress.Parse("10.0.0.2");

        using var alice = pools.Rent(new ClientIdentity(a, "alice"));
        using var aliceElsewhere = pools.Rent(new ClientIdentity(b, "alice"));
        using var bob = pools.Rent(new ClientIdentity(a, "bob"));
        using var anonymousA = pools.Rent(new ClientIdentity(a));
        using var anonymousMapped = pools.Rent(new ClientIdentity(IPAddress.Parse("::ffff:10.0.0.1")));
        using var anonymousB = pools.Rent(new ClientIdentity(b));

        Assert.Same(alice.Invoker, aliceElsewhere.Invoker);
        Assert.NotSame(alice.Invoker, bob.Invoker);
        Assert.NotSame(alice.Invoker, anonymousA.Invoker);
        Assert.Same(anonymousA.Invoker, anonymousMapped.Invoker);
        Assert.NotSame(anonymousA.Invoker, anonymousB.Invoker);
        Assert.Equal(4, pools.Count);
    }

    [Fact]
    public void Rent_AtCapacity_IdleDroppedFirstThenLeastRecentlyUsed_InUseKeptUntilReturned()
    {
        var clock = new FakeTimeProvider();
        var created = new List<HttpMessageInvoker>();
        using var pools = Create(clock, 2, created);
        var first = pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.1")));
        clock.Advance(TimeSpan.FromSeconds(1));
        pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.2"))).Dispose();

        // At the cap, nothing idle long enough: the least recently used (10.0.0.1, still in use) is dropped but stays usable.
        using var third = pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.3")));
        Assert.Equal(2, pools.Count);
        using (var again = pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.1"))))
        {
            Assert.NotSame(first.Invoker, again.Invoker);
        }

        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:9/"), CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal(4, created.Count);
    }

    [Fact]
    public void Rent_PoolUnusedForIdleTime_DroppedOnNextNewIdentity()
    {
        var clock = new FakeTimeProvider();
        var created = new List<HttpMessageInvoker>();
        using var pools = Create(clock, 16, created);
        pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.1"))).Dispose();
        using var busy = pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.2")));

        clock.Advance(Idle + TimeSpan.FromSeconds(1));
        using var fresh = pools.Rent(new ClientIdentity(IPAddress.Parse("10.0.0.3")));

        Assert.Equal(2, pools.Count); // 10.0.0.1 dropped; 10.0.0.2 is in use
        Assert.Throws<ObjectDisposedException>(() => created[0].SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:9/"), CancellationToken.None).GetAwaiter().GetResult());
    }
}
