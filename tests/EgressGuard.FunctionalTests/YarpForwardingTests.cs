namespace EgressGuard.FunctionalTests;

/// <summary>
/// Every <see cref="ForwardingTests"/> case again through YARP (<c>Proxy:Forwarder=yarp</c>): the
/// default is the lean forwarder, and both must keep one behaviour.
/// </summary>
public sealed class YarpForwardingTests(YarpForwardingTests.YarpEnvironment env) : ForwardingTests(env), IClassFixture<YarpForwardingTests.YarpEnvironment>
{
    public sealed class YarpEnvironment : Infrastructure.ProxyEnvironment
    {
        protected override IReadOnlyList<string> ProxyArguments => ["--Proxy:Forwarder=yarp"];
    }
}
