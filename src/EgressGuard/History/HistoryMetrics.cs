namespace EgressGuard.History;

/// <summary>The history's instruments: records written, and dropped because the writer fell behind.</summary>
internal sealed class HistoryMetrics(IMeterFactory factory)
{
    public void Observe(HistoryWriter writer) =>
        factory.Create(EgressGuardTelemetry.Name).CreateObservableCounter("egressguard.history.records", () => new[]
        {
            new Measurement<long>(writer.Written, new KeyValuePair<string, object?>(LogFields.Outcome, "written")),
            new Measurement<long>(writer.Dropped, new KeyValuePair<string, object?>(LogFields.Outcome, "dropped")),
        }, "{record}", "History records written, and dropped because the writer fell behind");
}
