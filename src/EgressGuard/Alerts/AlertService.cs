using EgressGuard.Rules;
using EgressGuard.Storage;

namespace EgressGuard.Alerts;

/// <summary>
/// Turns denies into alerts. Called once per denied request or tunnel, on the proxy path and before
/// the client gets its 403 (so a quarantine applies to its very next attempt); so it
/// only decides, counts and enqueues: delivery happens in <see cref="AlertDispatcher"/>.
/// 1. a deny by a threat feed (or a rule that uses feeds) or by a rule marked <c>alert</c> qualifies;
/// 2. the tracker deduplicates per source + destination within the window;
/// 3. a new alert goes to the decision log (<c>"event": "alert"</c>), the span (event
///    <c>egressguard.alert</c>), an OpenTelemetry log record, and the webhook/syslog queues;
///    a repeat only adds a span event and counts.
/// </summary>
internal sealed partial class AlertService
{
    private readonly AlertOptions _options;
    private readonly AlertTracker _tracker;
    private readonly RulesStore _rules;
    private readonly DecisionLog _log;
    private readonly AlertDispatcher _dispatcher;
    private readonly ILogger<AlertService> _logger;
    private readonly AlertMetrics _metrics;
    private readonly Lazy<Quarantine.QuarantineService> _quarantine;
    private readonly string _node;
    private readonly IAlertReplica? _replica;

    public AlertService(AlertOptions options, AlertTracker tracker, RulesStore rules, DecisionLog log, AlertDispatcher dispatcher, AlertMetrics metrics, IServiceProvider services, NodeOptions node, ILogger<AlertService> logger)
    {
        _node = node.Name;
        _replica = services.GetService<IAlertReplica>();
        // Lazy: the quarantine service needs the tunnel registry, which the proxy path (and so this) feeds.
        _quarantine = new Lazy<Quarantine.QuarantineService>(services.GetRequiredService<Quarantine.QuarantineService>);
        _options = options;
        _tracker = tracker;
        _rules = rules;
        _log = log;
        _dispatcher = dispatcher;
        _logger = logger;
        _metrics = metrics;
    }

    public AlertTracker Tracker => _tracker;

    /// <summary>The fleet's shared alerts (null on a single node).</summary>
    public IAlertReplica? Replica => _replica;

    public void Observe(ProxyExchange exchange, Activity? activity)
    {
        if (!_options.Enabled || exchange.Decision is not { Action: DecisionAction.Deny, Target: { } target } decision || KindOf(decision) is not { } kind)
        {
            return;
        }

        var feed = EgressGuardMetrics.FeedOf(decision);
        var candidate = new Alert
        {
            Id = string.Empty,
            Kind = kind,
            SourceAddress = exchange.Client?.Address,
            User = exchange.Identity.User,
            Groups = exchange.Identity.GroupList,
            Device = exchange.Identity.Device,
            Destination = target.Host,
            Port = target.Port,
            ResolvedAddresses = decision.ResolvedAddresses,
            Rule = decision.Rule,
            Entry = decision.Entry,
            Feed = feed,
            Category = decision.Matches.FirstOrDefault(m => m.Rule == decision.Rule || (feed is not null && m.Rule == "feed:" + feed))?.Category,
            Method = exchange.Method,
            TraceId = exchange.TraceId.ToHexString(),
            Node = _node,
            FirstSeen = default,
            LastSeen = default,
        };
        var (alert, isNew) = _tracker.Observe(candidate);
        _metrics.Raised(kind, isNew, feed);
        activity?.AddEvent(new ActivityEvent(LogFields.AlertEvent, tags: new ActivityTagsCollection
        {
            [LogFields.AlertId] = alert.Id,
            [LogFields.AlertNew] = isNew,
            [LogFields.AlertCount] = alert.Count,
            [LogFields.AlertCategory] = alert.Category,
        }));
        if (_replica is not null)
        {
            // Fleet mode: one alert per source + destination per window for the whole fleet. The
            // store decides off the request path whether this node's alert is the first; only then
            // is it delivered (Deliver), else it counts as a repeat of another node's.
            _replica.Observe(alert, isNew);
        }
        else if (isNew)
        {
            Raise(alert);
        }

        _quarantine.Value.OnThreatDeny(alert);
    }

    /// <summary>
    /// The recent alerts since <paramref name="from"/>: the fleet's in fleet mode
    /// (this node's own while the store is away: better than none), else this node's.
    /// </summary>
    public async Task<IReadOnlyList<AlertDto>> RecentAsync(DateTimeOffset from, CancellationToken cancellationToken = default)
    {
        if (_replica is not null)
        {
            try
            {
                var rows = await _replica.RecentAsync(from, 10_000, cancellationToken).ConfigureAwait(false);
                return rows.Select(r => r.Deserialize<AlertDto>()!).ToArray();
            }
            catch (StoreUnavailableException)
            {
            }
        }

        return _tracker.Recent().Where(a => a.LastSeen >= from).Select(AlertDto.From).ToArray();
    }

    /// <summary>Delivers an alert raised outside the proxy path (retro-hunt) everywhere a new alert goes (and, in fleet mode, stores it).</summary>
    public void Raise(Alert alert)
    {
        alert = alert.Node is null ? alert with { Node = _node } : alert;
        if (_replica is not null && alert.Kind == "retro-hunt")
        {
            _replica.Store(alert);
        }

        Deliver(alert);
    }

    /// <summary>The log line, program log and sink queues of a new alert.</summary>
    public void Deliver(Alert alert)
    {
        _log.WriteEvent(new LogEvent("alert", alert.LastSeen, AlertJson.LogFields(alert)));
        LogAlert(_logger, alert.Id, alert.Kind, alert.SourceAddress?.ToString(), alert.User, alert.Destination, alert.Rule, alert.Category, alert.Summary);
        _dispatcher.Enqueue(alert);
    }

    /// <summary><c>threat-feed</c> for a feed-driven deny, <c>rule</c> for a rule marked alert, else null.</summary>
    private string? KindOf(Decision decision)
    {
        var rule = decision.Rule;
        if (rule is null)
        {
            return null;
        }

        if (rule.StartsWith("feed:", StringComparison.Ordinal))
        {
            return "threat-feed";
        }

        if (rule.StartsWith("rule:", StringComparison.Ordinal) && _rules.Current.Find(rule[5..]) is { Kind: RuleKind.User } admin)
        {
            return admin.HasFeeds ? "threat-feed" : admin.Alert ? "rule" : null;
        }

        return null;
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "ALERT {AlertId} ({Kind}): {Summary}")]
    private static partial void LogAlertCore(ILogger logger, string alertId, string kind, string summary);

    // The structured fields travel as the log record's attributes (OpenTelemetry logs); the message stays readable.
    private static void LogAlert(ILogger logger, string id, string kind, string? source, string? user, string destination, string? rule, string? category, string summary)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            [LogFields.ClientAddress] = source,
            [LogFields.User] = user,
            [LogFields.ServerAddress] = destination,
            [LogFields.Rule] = rule,
            [LogFields.Category] = category,
        });
        LogAlertCore(logger, id, kind, summary);
    }
}
