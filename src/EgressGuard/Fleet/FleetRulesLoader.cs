using EgressGuard.Rules;

namespace EgressGuard.Fleet;

/// <summary>
/// Fleet mode's first rules: the local copy of the fleet's rules (<c>Data:Directory/fleet/rules.json</c>,
/// what this node enforces while the store is away), at the version it was saved with; a node's
/// first start seeds the copy from its rules file. The file is not watched here: its owner
/// imports it (<see cref="FleetRulesFileImport"/>) and the sync keeps the copy current.
/// </summary>
internal sealed class FleetRulesLoader(string rulesFile, FleetRules shared) : IRulesLoader
{
    public bool WatchesFile => false;

    /// <summary>Where the local copy lives under the data directory.</summary>
    public static string CopyPath(string dataDirectory) => Path.Combine(dataDirectory, "fleet", "rules.json");

    public void LoadInitial(RulesStore store)
    {
        if (!File.Exists(store.Path) && File.Exists(rulesFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(store.Path)!);
            File.Copy(rulesFile, store.Path);
        }

        store.LoadInitial(FleetRulesSync.LoadVersion(store.Path));
        store.Replica = shared;
    }
}
