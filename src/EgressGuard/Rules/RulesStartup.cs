using EgressGuard.Policy;

namespace EgressGuard.Rules;

/// <summary>
/// Starts the rules with the host, before the feeds' first composition (so the first request
/// already sees them): reads the rules file, hands the rules to the policy, follows every later
/// change (file edit, API, CLI) and watches the file.
/// </summary>
internal sealed class RulesStartup : IHostedService
{
    private readonly RulesStore _store;
    private readonly PolicyRecomposer _recomposer;

    public RulesStartup(RulesStore store, PolicyRecomposer recomposer)
    {
        _store = store;
        _recomposer = recomposer;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Fleet mode: the store is the local copy of the fleet's rules, loaded at its version by the
        // fleet and kept current by its sync; the rules file is imported by its owner, not watched here.
        var fleet = _store.Replica is not null;
        if (!fleet)
        {
            _store.LoadInitial();
        }

        _recomposer.UseRules(_store.Current);
        _store.Changed += OnChanged;
        if (!fleet)
        {
            _store.Watch();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _store.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(RuleSet rules) => _recomposer.SetRules(rules);
}
