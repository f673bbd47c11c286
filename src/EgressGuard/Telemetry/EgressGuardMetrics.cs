using System.Diagnostics;
using System.Diagnostics.Metrics;
using EgressGuard.Policy;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Telemetry;

/// <summary>
/// The one <c>EgressGuard</c> meter, created through <see cref="IMeterFactory"/>. Instrument and
/// tag names follow <see cref="LogFields"/>.
/// </summary>
internal sealed class EgressGuardMetrics
{
    private readonly Counter<long> _decisions;
    private readonly UpDownCounter<long> _tunnelsActive;
    private readonly Counter<long> _bytes;
    private readonly Histogram<double> _dnsDuration;
    private readonly Histogram<double> _connectDuration;
    private readonly Histogram<double> _decisionDuration;

    private readonly Counter<long> _interceptions;

    public EgressGuardMetrics(IMeterFactory factory, FeedManager feeds, TimeProvider time)
    {
        var meter = factory.Create(EgressGuardTelemetry.Name);
        _interceptions = meter.CreateCounter<long>("egressguard.tls.interceptions", "{tunnel}", "Tunnels on inspected ports with interception on: intercepted, passed (bypass, rule, mode) or client-refused (the client did not accept the minted certificate)");

        _decisions = meter.CreateCounter<long>("egressguard.decisions", "{decision}", "Requests and tunnels decided, by decision, reason and feed");
        _tunnelsActive = meter.CreateUpDownCounter<long>("egressguard.tunnels.active", "{tunnel}", "Open tunnels: CONNECT, and upgraded HTTP requests (WebSocket)");
        _bytes = meter.CreateCounter<long>("egressguard.bytes", "By", "Bytes proxied, by direction (up: client to upstream)");
        _dnsDuration = meter.CreateHistogram<double>("egressguard.dns.lookup.duration", "s", "DNS resolution time, cache hits included");
        _connectDuration = meter.CreateHistogram<double>("egressguard.connect.duration", "s", "Upstream TCP connect time");
        _decisionDuration = meter.CreateHistogram<double>("egressguard.decision.duration", "s", "Time to decide (resolution and policy)");
        meter.CreateObservableGauge("egressguard.feed.entries", () => feeds.States.Select(s => new Measurement<long>(s.EntryCount, new KeyValuePair<string, object?>("egressguard.feed", s.Name))), "{entry}", "Entries in force per feed");
        meter.CreateObservableGauge("egressguard.feed.dropped_known_good", () => feeds.States.Select(s => new Measurement<long>(s.Hygiene.DroppedKnownGood, new KeyValuePair<string, object?>("egressguard.feed", s.Name))), "{entry}", "Entries of the feed's data in force dropped for covering a known-good address (Hygiene:DropKnownGood)");
        meter.CreateObservableGauge("egressguard.feed.age", () => feeds.States.Where(s => s.LoadedAt is not null).Select(s => new Measurement<double>((time.GetUtcNow() - s.LoadedAt!.Value).TotalSeconds, new KeyValuePair<string, object?>("egressguard.feed", s.Name))), "s", "Age of the data in force per feed");
    }

    public void Decided(ProxyExchange exchange)
    {
        var d = exchange.Decision;
        var tags = new TagList
        {
            { LogFields.Decision, d is null ? "error" : DecisionLogFormatter.ActionName(d.Action) },
            { LogFields.Reason, d?.Reason ?? exchange.ErrorType ?? DecisionReasons.BadRequest },
        };
        if (FeedOf(d) is { } feed)
        {
            tags.Add(LogFields.Feed, feed);
        }

        _decisions.Add(1, tags);
        if (exchange.Interception is { } interception && exchange.Method == "CONNECT")
        {
            var outcome = interception != InterceptionOutcome.Intercepted ? "passed"
                : exchange.ErrorType is ErrorTypes.TlsClientHandshake or ErrorTypes.TlsHandshakeTimeout ? "client-refused" : "intercepted";
            _interceptions.Add(1, new KeyValuePair<string, object?>("egressguard.tls.outcome", outcome));
            if (outcome != "passed")
            {
                return; // an intercepted tunnel's bytes are counted by its requests, not twice
            }
        }

        if (exchange.BytesUp > 0)
        {
            _bytes.Add(exchange.BytesUp, new KeyValuePair<string, object?>("egressguard.direction", "up"));
        }

        if (exchange.BytesDown > 0)
        {
            _bytes.Add(exchange.BytesDown, new KeyValuePair<string, object?>("egressguard.direction", "down"));
        }
    }

    public void TunnelOpened() => _tunnelsActive.Add(1);

    public void TunnelClosed() => _tunnelsActive.Add(-1);

    public void DnsLookup(TimeSpan elapsed, string outcome) =>
        _dnsDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("egressguard.dns.outcome", outcome));

    public void Connect(TimeSpan elapsed, string outcome) =>
        _connectDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("egressguard.connect.outcome", outcome));

    public void DecisionTime(TimeSpan elapsed) => _decisionDuration.Record(elapsed.TotalSeconds);

    /// <summary>The feed behind a decision (the rule when it is a feed, else the first feed match).</summary>
    public static string? FeedOf(Decision? decision) =>
        decision?.Rule is { } rule && rule.StartsWith("feed:", StringComparison.Ordinal) ? rule[5..]
        : decision?.Matches.FirstOrDefault(m => m.Rule.StartsWith("feed:", StringComparison.Ordinal))?.Rule[5..];
}
