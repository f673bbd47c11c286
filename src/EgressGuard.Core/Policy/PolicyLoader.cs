using EgressGuard.Lists;

namespace EgressGuard.Policy;

/// <summary>
/// Loads the admin lists and the guard into a snapshot. Validates everything and reports every
/// problem with file, line and value; a load with any error produces no snapshot, so a typo can
/// never silently drop the entries after it.
/// </summary>
internal static class PolicyLoader
{
    public static PolicyLoadResult Load(ListsOptions lists, GuardOptions guard, string baseDirectory, long version)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var summaries = new List<string>();

        var ipLists = new List<(ListSource, IReadOnlyList<IpRange>)>();
        var domainLists = new List<(ListSource, IReadOnlyList<DomainPattern>)>();
        var ipEntries = 0;
        for (var i = 0; i < lists.Ip.Count; i++)
        {
            var file = lists.Ip[i];
            if (!TryOpen(file, $"Lists:Ip:{i}", baseDirectory, errors, out var path, out var name))
            {
                continue;
            }

            using var reader = new StreamReader(path);
            var (entries, fileErrors, fileWarnings) = IpListParser.Parse(reader, path);
            errors.AddRange(fileErrors.Select(e => e.ToString()));
            warnings.AddRange(fileWarnings.Select(w => w.ToString()));
            ipLists.Add((new ListSource(name), entries));
            ipEntries += entries.Count;
            summaries.Add($"{name}: {entries.Count} IP entries from {path}");
        }

        var domainEntries = 0;
        for (var i = 0; i < lists.Domain.Count; i++)
        {
            var file = lists.Domain[i];
            if (!TryOpen(file, $"Lists:Domain:{i}", baseDirectory, errors, out var path, out var name))
            {
                continue;
            }

            using var reader = new StreamReader(path);
            var (entries, fileErrors) = DomainListParser.Parse(reader, path);
            errors.AddRange(fileErrors.Select(e => e.ToString()));
            domainLists.Add((new ListSource(name), entries));
            domainEntries += entries.Count;
            summaries.Add($"{name}: {entries.Count} domain entries from {path}");
        }

        var exempt = new List<IpRange>();
        for (var i = 0; i < guard.Exempt.Count; i++)
        {
            if (IpNetworkParser.TryParse(guard.Exempt[i], out var range, out var warning, out var error))
            {
                exempt.Add(range);
                if (warning is not null)
                {
                    warnings.Add($"Guard:Exempt:{i}: {warning}");
                }
            }
            else
            {
                errors.Add($"Guard:Exempt:{i} = '{guard.Exempt[i]}': {error}");
            }
        }

        if (errors.Count > 0)
        {
            return new PolicyLoadResult(null, null, errors, warnings, ipEntries, domainEntries, summaries);
        }

        var admin = new AdminLists(ipLists, domainLists, exempt, guard.Enabled);
        return new PolicyLoadResult(admin, PolicyComposer.Compose(admin, [], version), errors, warnings, ipEntries, domainEntries, summaries);
    }

    private static readonly Lazy<IpRangeIndex> Guard = new(BuildGuardIndex);

    /// <summary>The built-in non-public guard index (built once, shared by every snapshot).</summary>
    public static IpRangeIndex BuildGuard() => Guard.Value;

    private static IpRangeIndex BuildGuardIndex()
    {
        // One source per category, all named guard:non-public: the category says why (loopback, private…).
        var builder = new IpRangeIndexBuilder();
        var sources = new Dictionary<string, int>();
        foreach (var (cidr, category) in NonPublicRanges.All)
        {
            if (!sources.TryGetValue(category, out var source))
            {
                source = sources[category] = builder.AddSource(new ListSource(NonPublicRanges.ListName) { Category = category });
            }

            builder.Add(source, IpNetworkParser.Parse(cidr));
        }

        return builder.Build();
    }

    private static bool TryOpen(ListFileOptions file, string key, string baseDirectory, List<string> errors, out string path, out string name)
    {
        path = string.Empty;
        name = string.Empty;
        if (string.IsNullOrWhiteSpace(file.Path))
        {
            errors.Add($"{key}:Path is empty");
            return false;
        }

        path = Path.GetFullPath(file.Path, baseDirectory);
        name = "list:" + (string.IsNullOrWhiteSpace(file.Name) ? Path.GetFileNameWithoutExtension(path) : file.Name);
        if (!File.Exists(path))
        {
            errors.Add($"{key}:Path = '{file.Path}': file not found ({path})");
            return false;
        }

        return true;
    }
}
