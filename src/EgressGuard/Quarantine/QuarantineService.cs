using EgressGuard.Admin;
using EgressGuard.Alerts;
using EgressGuard.Audit;
using EgressGuard.Proxy;
using EgressGuard.Tunnels;

namespace EgressGuard.Quarantine;

/// <summary>
/// Containment: counts a source's threat-feed denies (from the alert path) and quarantines it at
/// the threshold; on any quarantine (automatic or by hand) closes the source's live tunnels except
/// those to remediation destinations, and audits the change.
/// </summary>
internal sealed partial class QuarantineService
{
    private readonly QuarantineOptions _options;
    private readonly QuarantineStore _store;
    private readonly QuarantineTrigger _trigger;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<QuarantineService> _logger;

    private readonly IQuarantineReplica? _replica;

    public QuarantineService(QuarantineOptions options, QuarantineStore store, TunnelRegistry tunnels, AuditLog audit, TimeProvider time, ILogger<QuarantineService> logger, IQuarantineReplica? replica = null)
    {
        _replica = replica;
        _options = options;
        _store = store;
        _trigger = new QuarantineTrigger(options, time);
        _audit = audit;
        _time = time;
        _logger = logger;
        store.SaveFailed += error => LogSaveFailed(_logger, error);
        store.Quarantined += entry =>
        {
            var closed = tunnels.CloseClient(entry.Address, d => store.Remediation.Allows(d), Denial(entry));
            LogQuarantined(_logger, entry.Address.ToString(), entry.Until, entry.By, entry.Reason, closed);
        };
    }

    public QuarantineStore Store => _store;

    /// <summary>Called for every threat-feed alert attempt (new or repeat).</summary>
    public void OnThreatDeny(Alert alert)
    {
        if (!_options.Enabled || alert.Kind != "threat-feed" || alert.SourceAddress is not { } source
            || !_trigger.Counts(alert.Category) || _store.TryGet(source, out _) || !_trigger.Record(source))
        {
            return;
        }

        var reason = $"{_options.Threshold} threat-feed denies within {_options.Window}: last {alert.Destination} ({alert.Rule}{(alert.Category is null ? string.Empty : ", " + alert.Category)})";
        var entry = _store.Quarantine(source, _time.GetUtcNow() + _options.Duration, reason, "auto", alert.Id);
        _replica?.PutLater(entry);
        _audit.RecordQuarantine("auto", "quarantine.add", source.ToString(), null, QuarantineEntryDto.From(entry));
    }

    /// <summary>Quarantines by hand; in fleet mode stored for the fleet first (throws when the store is down: nothing changed).</summary>
    public async Task<QuarantineEntry> AddAsync(IPAddress address, TimeSpan? duration, string? reason, string actor)
    {
        if (_replica is not null)
        {
            var until = _time.GetUtcNow() + (duration ?? _options.Duration);
            await _replica.PutAsync(new QuarantineEntry(Addressing.AddressNormalizer.Canonicalize(address), string.IsNullOrWhiteSpace(reason) ? "quarantined by an administrator" : reason, _time.GetUtcNow(), until, actor)).ConfigureAwait(false);
        }

        return Add(address, duration, reason, actor);
    }

    public async Task<QuarantineEntry?> ExtendAsync(IPAddress address, TimeSpan duration, string actor)
    {
        if (_replica is not null && _store.TryGet(address, out var current))
        {
            await _replica.PutAsync(current with { Until = _time.GetUtcNow() + duration, By = $"{current.By}, extended by {actor}" }).ConfigureAwait(false);
        }

        return Extend(address, duration, actor);
    }

    public async Task<QuarantineEntry?> ReleaseAsync(IPAddress address, string actor)
    {
        if (_replica is null || !_store.TryGet(address, out var entry))
        {
            return Release(address, actor);
        }

        await _replica.RemoveAsync(address).ConfigureAwait(false);

        // The fleet's notification of this very removal can reach this node's sync before the
        // line below runs and take the entry out of the local store first: the release is still
        // this caller's (found, audited, logged), not a 404.
        return Released(_store.Release(address) ?? entry, actor);
    }

    public QuarantineEntry Add(IPAddress address, TimeSpan? duration, string? reason, string actor)
    {
        _store.TryGet(address, out var before);
        var entry = _store.Quarantine(address, _time.GetUtcNow() + (duration ?? _options.Duration), string.IsNullOrWhiteSpace(reason) ? "quarantined by an administrator" : reason, actor);
        _audit.RecordQuarantine(actor, "quarantine.add", entry.Address.ToString(), before is null ? null : QuarantineEntryDto.From(before), QuarantineEntryDto.From(entry));
        return entry;
    }

    public QuarantineEntry? Extend(IPAddress address, TimeSpan duration, string actor)
    {
        _store.TryGet(address, out var before);
        var entry = _store.Extend(address, _time.GetUtcNow() + duration, actor);
        if (entry is not null)
        {
            _audit.RecordQuarantine(actor, "quarantine.extend", entry.Address.ToString(), before is null ? null : QuarantineEntryDto.From(before), QuarantineEntryDto.From(entry));
        }

        return entry;
    }

    public QuarantineEntry? Release(IPAddress address, string actor) =>
        _store.Release(address) is { } released ? Released(released, actor) : null;

    private QuarantineEntry Released(QuarantineEntry released, string actor)
    {
        _audit.RecordQuarantine(actor, "quarantine.release", released.Address.ToString(), QuarantineEntryDto.From(released), null);
        LogReleased(_logger, released.Address.ToString(), actor);
        return released;
    }

    private static Decision Denial(QuarantineEntry entry) => new()
    {
        Action = DecisionAction.Deny,
        Reason = DecisionReasons.Quarantined,
        Rule = "quarantine",
        Entry = entry.Address.ToString(),
        Detail = $"client {entry.Address} quarantined until {entry.Until:u} ({entry.Reason})",
    };

    [LoggerMessage(EventId = 950, Level = LogLevel.Warning, Message = "QUARANTINED {Address} until {Until:u} by {By}: {Reason}; {Closed} live tunnel(s) closed")]
    private static partial void LogQuarantined(ILogger logger, string address, DateTimeOffset until, string by, string reason, int closed);

    [LoggerMessage(EventId = 954, Level = LogLevel.Error, Message = "Quarantine state not saved (it applies until a restart): {Error}")]
    private static partial void LogSaveFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 951, Level = LogLevel.Warning, Message = "Quarantine of {Address} released by {Actor}")]
    private static partial void LogReleased(ILogger logger, string address, string actor);
}
