namespace EgressGuard.Telemetry;

/// <summary>
/// The proxy path's instruments (decisions, tunnels, bytes, DNS, connect and decision times) on
/// the <c>EgressGuard</c> meter, created through <see cref="IMeterFactory"/>. Each feature with
/// instruments of its own has its own *Metrics class on the same meter (AlertMetrics,
/// HistoryMetrics, FeedMetrics, InterceptionMetrics, FleetMetrics). Tag names are <see cref="LogFields"/>'s.
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

    private readonly Meter _meter;

    public EgressGuardMetrics(IMeterFactory factory)
    {
        var meter = _meter = factory.Create(EgressGuardTelemetry.Name);
        _interceptions = meter.CreateCounter<long>("egressguard.tls.interceptions", "{tunnel}", "Tunnels on inspected ports with interception on: intercepted, passed (bypass, rule, mode) or client-refused (the client did not accept the minted certificate)");

        _decisions = meter.CreateCounter<long>("egressguard.decisions", "{decision}", "Requests and tunnels decided, by decision, reason and feed");
        _tunnelsActive = meter.CreateUpDownCounter<long>("egressguard.tunnels.active", "{tunnel}", "Open tunnels: CONNECT, and upgraded HTTP requests (WebSocket)");
        _bytes = meter.CreateCounter<long>("egressguard.bytes", "By", "Bytes proxied, by direction (up: client to upstream)");
        _dnsDuration = meter.CreateHistogram<double>("egressguard.dns.lookup.duration", "s", "DNS resolution time, cache hits included");
        _connectDuration = meter.CreateHistogram<double>("egressguard.connect.duration", "s", "Upstream TCP connect time");
        _decisionDuration = meter.CreateHistogram<double>("egressguard.decision.duration", "s", "Time to decide (resolution and policy)");
    }

    public void Decided(ProxyExchange exchange)
    {
        var d = exchange.Decision;
        var tags = new TagList
        {
            { LogFields.Decision, d is null ? "error" : DecisionLogFormatter.ActionName(d.Action) },
            { LogFields.Reason, exchange.ReasonText },
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
            _interceptions.Add(1, new KeyValuePair<string, object?>(LogFields.TlsOutcome, outcome));
            if (outcome != "passed")
            {
                return; // an intercepted tunnel's bytes are counted by its requests, not twice
            }
        }

        if (exchange.BytesUp > 0)
        {
            _bytes.Add(exchange.BytesUp, new KeyValuePair<string, object?>(LogFields.Direction, "up"));
        }

        if (exchange.BytesDown > 0)
        {
            _bytes.Add(exchange.BytesDown, new KeyValuePair<string, object?>(LogFields.Direction, "down"));
        }
    }

    /// <summary>The decision lines dropped, read from <paramref name="log"/> at each collection.</summary>
    public void ObserveLog(DecisionLog log) =>
        _meter.CreateObservableCounter("egressguard.log.dropped", () => new[]
        {
            new Measurement<long>(log.QueueDropped, new KeyValuePair<string, object?>(LogFields.Cause, "queue-full")),
            new Measurement<long>(log.FileDropped, new KeyValuePair<string, object?>(LogFields.Cause, "write-failed")),
        }, "{line}", "Decision lines dropped: the writer's queue was full, or the file could not be written");

    public void TunnelOpened() => _tunnelsActive.Add(1);

    public void TunnelClosed() => _tunnelsActive.Add(-1);

    public void DnsLookup(TimeSpan elapsed, string outcome) =>
        _dnsDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(LogFields.DnsOutcome, outcome));

    public void Connect(TimeSpan elapsed, string outcome) =>
        _connectDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(LogFields.ConnectOutcome, outcome));

    public void DecisionTime(TimeSpan elapsed) => _decisionDuration.Record(elapsed.TotalSeconds);

    /// <summary>The feed behind a decision (the rule when it is a feed, else the first feed match).</summary>
    public static string? FeedOf(Decision? decision) =>
        decision?.Rule is { } rule && rule.StartsWith("feed:", StringComparison.Ordinal) ? rule[5..]
        : decision?.Matches.FirstOrDefault(m => m.Rule.StartsWith("feed:", StringComparison.Ordinal))?.Rule[5..];
}
