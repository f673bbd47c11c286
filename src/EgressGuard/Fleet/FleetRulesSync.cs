using EgressGuard.Rules;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// Brings the fleet's newest rules into this node's <see cref="RulesStore"/>. At start, when the
/// store has no rules yet, this node's rules become version 1 of the fleet (the first node seeds).
/// The version of the local copy is kept beside it so that a start without the store resumes at it.
/// </summary>
internal sealed partial class FleetRulesSync : IFleetParticipant
{
    private readonly FleetDatabase _db;
    private readonly FleetRules _rules;
    private readonly RulesStore _store;
    private readonly ILogger<FleetRulesSync> _logger;

    public FleetRulesSync(FleetDatabase db, FleetRules rules, RulesStore store, ILogger<FleetRulesSync> logger)
    {
        _db = db;
        _rules = rules;
        _store = store;
        _logger = logger;
        store.Changed += set => SaveVersion(store.Path, set.Version);
    }

    public async Task SyncAsync(bool atStart, CancellationToken cancellationToken)
    {
        var latest = await _db.RunAsync(c => FleetRules.LatestVersionAsync(c, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (latest == 0)
        {
            // An empty store: this node's rules are the fleet's first version.
            var content = File.Exists(_store.Path) ? await File.ReadAllTextAsync(_store.Path, cancellationToken).ConfigureAwait(false) : "{ \"rules\": [] }";
            if (await _rules.TryCommitAsync(Math.Max(1, _store.Current.Version), content, cancellationToken).ConfigureAwait(false))
            {
                LogSeeded(_logger, _store.Current.Version);
            }

            return;
        }

        if (latest > _store.Current.Version || atStart)
        {
            if (await _rules.LatestAsync(cancellationToken).ConfigureAwait(false) is { } newest)
            {
                await _store.AdoptAsync(newest.Content, newest.Version, force: atStart).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The version of the local copy, read at start (1 when unknown).</summary>
    public static long LoadVersion(string rulesPath) =>
        File.Exists(rulesPath + ".version") && long.TryParse(File.ReadAllText(rulesPath + ".version").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 1;

    private static void SaveVersion(string rulesPath, long version)
    {
        try
        {
            File.WriteAllText(rulesPath + ".version", version.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a start without the store reads it; the rules are in force regardless.
        }
    }

    [LoggerMessage(EventId = 1820, Level = LogLevel.Information, Message = "Store: no shared rules yet; this node's rules seeded the fleet as v{Version}")]
    private static partial void LogSeeded(ILogger logger, long version);
}
