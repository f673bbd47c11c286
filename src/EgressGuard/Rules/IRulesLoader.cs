namespace EgressGuard.Rules;

/// <summary>
/// Gives the rules store its first content when the host starts (<see cref="RulesStartup"/>), so
/// no factory reads files: one node loads and watches its rules file (<see cref="FileRulesLoader"/>);
/// fleet mode loads its local copy of the shared rules instead.
/// </summary>
internal interface IRulesLoader
{
    /// <summary>Whether the store's file is this node's to watch for edits.</summary>
    bool WatchesFile { get; }

    void LoadInitial(RulesStore store);
}
