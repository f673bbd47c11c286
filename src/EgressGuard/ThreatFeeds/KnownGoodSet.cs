using EgressGuard.Lists;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// The known-good addresses feed hygiene protects (<c>Hygiene:KnownGoodFile</c>, <c>KnownGoodFiles</c>,
/// <c>KnownGood</c>): read once at start, every unreadable line reported with its file and number.
/// </summary>
internal static class KnownGoodSet
{
    /// <summary>
    /// The file in use: relative to the config folder; the default name, when the config folder has
    /// no such file, is the copy shipped beside the program. Null when set to empty.
    /// </summary>
    public static string? FileOf(HygieneOptions hygiene, ConfigPaths paths)
    {
        if (string.IsNullOrWhiteSpace(hygiene.KnownGoodFile))
        {
            return null;
        }

        var path = paths.Resolve(hygiene.KnownGoodFile);
        if (!File.Exists(path) && hygiene.KnownGoodFile == HygieneOptions.DefaultKnownGoodFile)
        {
            var shipped = Path.Combine(AppContext.BaseDirectory, "config", HygieneOptions.DefaultKnownGoodFile);
            return File.Exists(shipped) ? shipped : path;
        }

        return path;
    }

    /// <summary>Every known-good range; problems go to <paramref name="errors"/> (start validation), the readable entries are returned.</summary>
    public static List<IpRange> Load(HygieneOptions hygiene, ConfigPaths paths, List<string> errors)
    {
        var ranges = new List<IpRange>();
        if (FileOf(hygiene, paths) is { } file)
        {
            Read(file, "Hygiene:KnownGoodFile", hygiene.KnownGoodFile, ranges, errors);
        }

        for (var i = 0; i < hygiene.KnownGoodFiles.Count; i++)
        {
            Read(paths.Resolve(hygiene.KnownGoodFiles[i]), $"Hygiene:KnownGoodFiles:{i}", hygiene.KnownGoodFiles[i], ranges, errors);
        }

        for (var i = 0; i < hygiene.KnownGood.Count; i++)
        {
            if (IpNetworkParser.TryParse(hygiene.KnownGood[i], out var range, out _, out var error))
            {
                ranges.Add(range);
            }
            else
            {
                errors.Add($"Hygiene:KnownGood:{i} = '{hygiene.KnownGood[i]}': {error}");
            }
        }

        return ranges;
    }

    private static void Read(string path, string key, string value, List<IpRange> ranges, List<string> errors)
    {
        if (!File.Exists(path))
        {
            errors.Add($"{key} = '{value}': file not found ({path})");
            return;
        }

        using var reader = new StreamReader(path);
        var (entries, problems, _) = IpListParser.Parse(reader, path);
        ranges.AddRange(entries);
        foreach (var problem in problems)
        {
            errors.Add($"{key} = '{value}': line {problem.Line}: {problem.Message}");
        }
    }
}
