using EgressGuard.Rules;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Policy;

/// <summary>
/// Recomposes the policy whenever a feed's data changes and swaps it in, then tells whoever
/// watches (the tunnel registry cuts live tunnels that the new policy denies). Compositions are
/// serialised so that a slower build can never overwrite a newer one.
/// </summary>
internal sealed class PolicyRecomposer
{
    private AdminLists _admin;
    private readonly FeedManager _feeds;
    private readonly PolicyHolder _holder;
    private readonly Lock _gate = new();
    private long _version;
    private RuleSet _rules;

    public PolicyRecomposer(AdminLists admin, FeedManager feeds, PolicyHolder holder, RuleSet? rules = null)
    {
        _admin = admin;
        _rules = rules ?? holder.Current.Rules;
        _feeds = feeds;
        _holder = holder;
        _version = holder.Current.Version;
        feeds.Changed += _ => Recompose();
    }

    /// <summary>Raised after a new snapshot is in force.</summary>
    public event Action<PolicySnapshot>? PolicyChanged;

    /// <summary>The rules in force.</summary>
    public RuleSet Rules
    {
        get
        {
            lock (_gate)
            {
                return _rules;
            }
        }
    }

    /// <summary>The rules the next composition uses, without composing now (at start, before the first composition).</summary>
    public void UseRules(RuleSet rules)
    {
        lock (_gate)
        {
            _rules = rules;
        }
    }

    /// <summary>Swaps in a new rule set (reload or API edit) and recomposes.</summary>
    public PolicySnapshot SetRules(RuleSet rules)
    {
        lock (_gate)
        {
            _rules = rules;
        }

        return Recompose();
    }

    /// <summary>Swaps in the admin's lists and guard settings re-read from the configuration (SIGHUP) and recomposes.</summary>
    public PolicySnapshot SetAdmin(AdminLists admin)
    {
        lock (_gate)
        {
            _admin = admin;
        }

        return Recompose();
    }

    public PolicySnapshot Recompose()
    {
        PolicySnapshot snapshot;
        lock (_gate)
        {
            snapshot = PolicyComposer.Compose(_admin, _feeds.States, ++_version, _rules);
            _holder.Swap(snapshot);
        }

        PolicyChanged?.Invoke(snapshot);
        return snapshot;
    }
}
