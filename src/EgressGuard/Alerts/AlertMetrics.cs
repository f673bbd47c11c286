namespace EgressGuard.Alerts;

/// <summary>The alerts' instruments: alerts raised, deliveries per sink, and whether each sink is up.</summary>
internal sealed class AlertMetrics
{
    private readonly Meter _meter;
    private readonly Counter<long> _alerts;
    private readonly Counter<long> _deliveries;

    public AlertMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(EgressGuardTelemetry.Name);
        _alerts = _meter.CreateCounter<long>("egressguard.alerts", "{alert}", "Alerts raised (new) and repeats folded into them, by kind and feed");
        _deliveries = _meter.CreateCounter<long>("egressguard.alerts.deliveries", "{delivery}", "Alert deliveries by sink and outcome (delivered, failed, dropped)");
    }

    public void Raised(string kind, bool isNew, string? feed) =>
        _alerts.Add(1, new(LogFields.AlertKind, kind), new(LogFields.AlertNew, isNew), new(LogFields.Feed, feed));

    /// <param name="outcome">delivered, failed or dropped.</param>
    public void Delivery(string sink, string outcome) =>
        _deliveries.Add(1, new(LogFields.Sink, sink), new(LogFields.Outcome, outcome));

    /// <summary>The sinks' up gauge, read from <paramref name="sinks"/> at each collection.</summary>
    public void ObserveSinks(Func<IEnumerable<SinkStatus>> sinks) =>
        _meter.CreateObservableGauge("egressguard.alerts.sink.up", () => sinks().Select(s => new Measurement<int>(s.Up ? 1 : 0, new KeyValuePair<string, object?>(LogFields.Sink, s.Name))), description: "1 when the last delivery to the sink worked (or none was needed), else 0");
}
