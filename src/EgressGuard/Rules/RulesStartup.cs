namespace EgressGuard.Rules;

/// <summary>
/// Starts the rules with the host, before the feeds' first composition (so the first request
/// already sees them): loads the store's first content (<see cref="IRulesLoader"/>), hands the
/// rules to the policy, follows every later change (file edit, API, CLI) and watches the file
/// when it is this node's.
/// </summary>
internal sealed class RulesStartup(RulesStore store, IRulesLoader loader, PolicyRecomposer recomposer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        loader.LoadInitial(store);
        recomposer.UseRules(store.Current);
        store.Changed += OnChanged;
        if (loader.WatchesFile)
        {
            store.Watch();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        store.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(RuleSet rules) => recomposer.SetRules(rules);
}
