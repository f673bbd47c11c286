using EgressGuard.Alerts;
using EgressGuard.Identity;

namespace EgressGuard.History;

/// <summary>
/// Retro-hunt: after every policy change (feed refresh, list reload, rule edit), looks back over
/// <see cref="HistoryOptions.RetroHuntWindow"/> of allowed connections and asks the new policy
/// about each one's name and address. A connection the new policy denies by a feed, a list or a
/// rule means that source reached the destination before it was listed: one <c>retro-hunt</c>
/// alert per source + destination + rule, never repeated (remembered in the database).
/// Runs on its own task, one hunt at a time; changes arriving meanwhile are folded into one more run.
/// <para>Incremental: the first hunt after start checks the window against the whole policy (the
/// node may have been down while the feeds grew, and the loaded cache may be newer than the
/// history); after that, a hunt evaluates only the connections that an entry new since the last
/// completed hunt covers (<see cref="PolicyDelta"/>), so a feed refresh that adds ten addresses
/// costs ten entries, not the whole feed again. A rule change, or an admin's
/// <c>POST /history/retro-hunt</c>, hunts in full.</para>
/// </summary>
internal sealed partial class RetroHunt : BackgroundService
{
    private readonly HistoryService _history;
    private readonly IPolicySource _policy;
    private readonly AlertService _alerts;
    private readonly TimeProvider _time;
    private readonly ILogger<RetroHunt> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private PolicySnapshot? _hunted;
    private volatile bool _fullRequested;

    public RetroHunt(HistoryService history, IPolicySource policy, PolicyRecomposer recomposer, AlertService alerts, TimeProvider time, ILogger<RetroHunt> logger)
    {
        _history = history;
        _policy = policy;
        _alerts = alerts;
        _time = time;
        _logger = logger;
        recomposer.PolicyChanged += _ => Request();
    }

    /// <summary>Hunts done since start (tests wait on it).</summary>
    public int Runs { get; private set; }

    /// <summary>The last hunt's counts (null before the first); on <c>/status</c> (<c>retroHunt.last</c>) and in the log.</summary>
    public RetroHuntResult? Last { get; private set; }

    /// <summary>Asks for a hunt against the policy now in force (coalesced with one already pending);
    /// <paramref name="full"/> checks every entry, not only the new ones.</summary>
    public void Request(bool full = false)
    {
        if (full)
        {
            _fullRequested = true;
        }

        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_history.Queries is null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                // Let the history writer commit what is queued, so the hunt sees the latest connections.
                await Task.Delay(_history.Options.FlushInterval * 2, _time, stoppingToken).ConfigureAwait(false);
                var snapshot = _policy.Current;
                var full = _fullRequested;
                _fullRequested = false;
                var started = _time.GetTimestamp();
                var result = Hunt(_history.Queries, snapshot, full || _hunted is null ? null : _hunted) with { At = _time.GetUtcNow(), Duration = _time.GetElapsedTime(started) };
                _hunted = snapshot;
                Last = result;
                Runs++;
                LogHunted(_logger, result.Full ? "full" : "incremental", result.Version, result.Entries, result.Checked, result.Connections, result.Raised);
                if (result.Raised > 0)
                {
                    LogFound(_logger, result.Raised, result.Version);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(_logger, ex.Message);
            }
        }
    }

    /// <summary>One hunt against <paramref name="snapshot"/>: in full without <paramref name="previous"/>
    /// (or when the rules changed), else only for the connections an entry new since then covers.</summary>
    internal RetroHuntResult Hunt(IHistoryQueries queries, PolicySnapshot snapshot, PolicySnapshot? previous)
    {
        var now = _time.GetUtcNow();
        var delta = previous is null ? null : PolicyDelta.Between(previous, snapshot);
        if (delta is { RulesChanged: true })
        {
            delta = null;
        }

        var entries = delta?.EntryCount ?? snapshot.BadIps.EntryCount + snapshot.BadDomains.Count + snapshot.Rules.Rules.Count;
        var findings = new Dictionary<(string Client, string Destination, string Rule), Alert>();
        int connections = 0, evaluated = 0;
        var evaluatedKeys = new HashSet<(string, string, int, IPAddress)>();
        foreach (var row in delta is { EntryCount: 0 } ? [] : queries.AllowedSince(now - _history.Options.RetroHuntWindow))
        {
            connections++;
            if (row.Client is null || row.Host is null || !IPAddress.TryParse(row.Client, out var client))
            {
                continue;
            }

            var address = new IPAddress(row.Address);
            address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            var authority = IPAddress.TryParse(row.Host, out var literal) && literal.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{row.Host}]:{row.Port}" : $"{row.Host}:{row.Port}";
            if (!TargetParser.TryParseAuthority(authority, 443, out var target, out _))
            {
                continue;
            }

            if (delta is not null && !delta.Covers(target.Literal is null ? target.Host : null, address))
            {
                continue; // only old entries cover it: a hunt before this one asked already
            }

            // One connection can come back as two rows (its address as dialled and as resolved, in
            // either byte form): count what was evaluated once per client, host and address.
            if (evaluatedKeys.Add((row.Client, row.Host, row.Port, address)))
            {
                evaluated++;
            }

            var context = new EvaluationContext(target, new ClientIdentity(client, row.User), now);
            var denied = target.Literal is null ? snapshot.EvaluateName(target.Host, context).Denied : null;
            denied ??= snapshot.EvaluateAddress(address, context).Denied;
            if (denied?.Rule is not { } rule || !(rule.StartsWith("feed:", StringComparison.Ordinal) || rule.StartsWith("list:", StringComparison.Ordinal) || rule.StartsWith("rule:", StringComparison.Ordinal)))
            {
                continue;
            }

            var key = (row.Client, row.Host, rule);
            findings[key] = findings.TryGetValue(key, out var seen)
                ? seen with
                {
                    FirstSeen = row.First < seen.FirstSeen ? row.First : seen.FirstSeen,
                    LastSeen = row.Last > seen.LastSeen ? row.Last : seen.LastSeen,
                    Count = seen.Count + row.Count,
                    ResolvedAddresses = seen.ResolvedAddresses.Contains(address) ? seen.ResolvedAddresses : [.. seen.ResolvedAddresses, address],
                }
                : new Alert
                {
                    Id = string.Empty,
                    Kind = "retro-hunt",
                    SourceAddress = client,
                    User = row.User,
                    Destination = row.Host,
                    Port = row.Port,
                    ResolvedAddresses = [address],
                    Rule = rule,
                    Entry = denied.Entry,
                    Feed = rule.StartsWith("feed:", StringComparison.Ordinal) ? rule[5..] : null,
                    Category = denied.Matches.FirstOrDefault(m => m.Rule == rule)?.Category,
                    FirstSeen = row.First,
                    LastSeen = row.Last,
                    Count = row.Count,
                };
        }

        var raised = 0;
        foreach (var ((client, destination, rule), finding) in findings)
        {
            if (queries.MarkReported(client, destination, rule, now))
            {
                _alerts.Raise(_alerts.Tracker.Raise(finding));
                raised++;
            }
        }

        return new RetroHuntResult(snapshot.Version, delta is null, entries, connections, evaluated, raised);
    }

    public override void Dispose()
    {
        base.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(EventId = 970, Level = LogLevel.Warning, Message = "Retro-hunt: {Count} source(s) reached destinations that policy v{Version} now denies")]
    private static partial void LogFound(ILogger logger, int count, long version);

    [LoggerMessage(EventId = 972, Level = LogLevel.Information, Message = "Retro-hunt ({Mode}) against policy v{Version}: {Entries} entries checked, {Checked} of {Connections} connections in the window evaluated, {Raised} new finding(s)")]
    private static partial void LogHunted(ILogger logger, string mode, long version, int entries, int @checked, int connections, int raised);

    [LoggerMessage(EventId = 971, Level = LogLevel.Error, Message = "Retro-hunt failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
