namespace EgressGuard.Rules;

/// <summary>
/// Reports rules as they expire (they stop matching at their expiry by themselves): one warning per
/// rule, so that an admin sees a temporary exception end. The API and CLI mark them "expired".
/// </summary>
internal sealed partial class RuleExpiryReporter : BackgroundService
{
    private readonly RulesStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<RuleExpiryReporter> _logger;
    private readonly HashSet<string> _reported = [];

    public RuleExpiryReporter(RulesStore store, TimeProvider time, ILogger<RuleExpiryReporter> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>Logs every rule that has expired since the last check; returns their ids.</summary>
    public IReadOnlyList<string> Check()
    {
        var now = _time.GetUtcNow();
        var expired = _store.Current.Rules.Where(r => r.IsExpired(now) && _reported.Add($"{r.Id}@{r.Expires:O}")).ToList();
        foreach (var rule in expired)
        {
            LogExpired(_logger, rule.Id, rule.Expires!.Value, rule.Definition.Ticket ?? "-");
        }

        return expired.Select(r => r.Id).ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), _time);
        do
        {
            Check();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Rule {Id} expired at {Expires:u} (ticket {Ticket}); it no longer matches")]
    private static partial void LogExpired(ILogger logger, string id, DateTimeOffset expires, string ticket);
}
