namespace EgressGuard.Rules;

/// <summary>
/// The local history folder: one <c>rules-NNNNNN.json</c> per version written, the newest
/// <paramref name="limit"/> kept, for rollback and the console's diff.
/// </summary>
internal sealed class RulesHistory(string directory, int limit)
{
    public int Limit => limit;

    /// <summary>The stored versions, newest first.</summary>
    public IReadOnlyList<(long Version, DateTimeOffset Time)> List()
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.GetFiles(directory, "rules-*.json")
            .Select(f => (Version: ParseVersion(f), Time: new DateTimeOffset(File.GetLastWriteTimeUtc(f), TimeSpan.Zero)))
            .Where(v => v.Version > 0)
            .OrderByDescending(v => v.Version)
            .ToList();
    }

    /// <summary>The content of a stored version, or null when it is not in the folder.</summary>
    public async Task<string?> ReadAsync(long version)
    {
        var file = FileOf(version);
        return version > 0 && File.Exists(file) ? await RulesFiles.ReadAllTextAsync(file).ConfigureAwait(false) : null;
    }

    /// <summary>
    /// Records a version just written to <paramref name="rulesFile"/>. Before the first one, the file
    /// as it was before any edit becomes version 1, so that it can be rolled back to.
    /// </summary>
    public void SeedFrom(string rulesFile)
    {
        if (List().Count == 0 && File.Exists(rulesFile))
        {
            Directory.CreateDirectory(directory);
            File.Copy(rulesFile, FileOf(1), overwrite: true);
        }
    }

    /// <summary>Stores <paramref name="content"/> as the next version and prunes beyond the limit.</summary>
    public async Task AddAsync(string content)
    {
        Directory.CreateDirectory(directory);
        var version = List().Select(h => h.Version).DefaultIfEmpty(0).Max() + 1;
        await File.WriteAllTextAsync(FileOf(version), content).ConfigureAwait(false);
        foreach (var old in List().Skip(limit))
        {
            File.Delete(FileOf(old.Version));
        }
    }

    private string FileOf(long version) => Path.Combine(directory, $"rules-{version:D6}.json");

    private static long ParseVersion(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return long.TryParse(name.AsSpan("rules-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }
}
