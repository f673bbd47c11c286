namespace EgressGuard.Fleet;

/// <summary>Fleet mode's instruments: alert attempts not shared because the queue was full.</summary>
internal sealed class FleetMetrics(IMeterFactory factory)
{
    public void ObserveAlertsDropped(Func<long> dropped) =>
        factory.Create(EgressGuardTelemetry.Name).CreateObservableCounter("egressguard.store.alerts.dropped", dropped, "{attempt}", "Alert attempts not shared with the fleet because the queue was full");
}
