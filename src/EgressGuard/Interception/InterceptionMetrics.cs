using EgressGuard.Tls;

namespace EgressGuard.Interception;

/// <summary>
/// Interception's own instrument: leaf certificates minted. (The interception outcome per tunnel
/// is counted with the decisions, in <see cref="EgressGuardMetrics"/>, from the exchange.)
/// </summary>
internal sealed class InterceptionMetrics(IMeterFactory factory)
{
    public void Observe(InterceptionAuthority authority) =>
        factory.Create(EgressGuardTelemetry.Name).CreateObservableCounter(
            "egressguard.tls.certificates_minted", () => authority.Minted, "{certificate}", "Leaf certificates minted for interception (a cache hit mints none)");
}
