namespace EgressGuard.ThreatFeeds;

/// <summary>The feeds' gauges: entries in force and age of the data in force, per feed.</summary>
internal sealed class FeedMetrics
{
    public FeedMetrics(IMeterFactory factory, FeedManager feeds, TimeProvider time)
    {
        var meter = factory.Create(EgressGuardTelemetry.Name);
        meter.CreateObservableGauge("egressguard.feed.entries", () => feeds.States.Select(s => new Measurement<long>(s.EntryCount, new KeyValuePair<string, object?>(LogFields.Feed, s.Name))), "{entry}", "Entries in force per feed");
        meter.CreateObservableGauge("egressguard.feed.dropped_known_good", () => feeds.States.Select(s => new Measurement<long>(s.Hygiene.DroppedKnownGood, new KeyValuePair<string, object?>(LogFields.Feed, s.Name))), "{entry}", "Entries of the feed's data in force dropped for covering a known-good address (Hygiene:DropKnownGood)");
        meter.CreateObservableGauge("egressguard.feed.age", () => feeds.States.Where(s => s.LoadedAt is not null).Select(s => new Measurement<double>((time.GetUtcNow() - s.LoadedAt!.Value).TotalSeconds, new KeyValuePair<string, object?>(LogFields.Feed, s.Name))), "s", "Age of the data in force per feed");
    }
}
