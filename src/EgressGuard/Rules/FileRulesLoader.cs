namespace EgressGuard.Rules;

/// <summary>One node: the rules file is the rules, read at start and watched for edits.</summary>
internal sealed class FileRulesLoader : IRulesLoader
{
    public bool WatchesFile => true;

    public void LoadInitial(RulesStore store) => store.LoadInitial();
}
