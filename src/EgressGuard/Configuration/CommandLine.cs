namespace EgressGuard.Configuration;

/// <summary>
/// Splits off <c>--config PATH</c> (or <c>--config=PATH</c>); every other argument is a
/// <c>--Section:Key=value</c> override for the configuration system.
/// </summary>
internal static class CommandLine
{
    public const string DefaultConfigFile = "config/egressguard.json";

    public static (string? ConfigFile, bool Explicit, string[] Remaining) Parse(string[] args)
    {
        string? config = null;
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--config" && i + 1 < args.Length)
            {
                config = args[++i];
            }
            else if (arg.StartsWith("--config=", StringComparison.Ordinal))
            {
                config = arg["--config=".Length..];
            }
            else
            {
                rest.Add(arg);
            }
        }

        return (config ?? DefaultConfigFile, config is not null, [.. rest]);
    }

    /// <summary>
    /// Finds <c>config/egressguard.json</c> in the working directory or a parent (so that
    /// <c>dotnet run --project src/EgressGuard</c> finds the repository's sample), then beside the
    /// program (the container layout). Returns the first candidate when none exists.
    /// </summary>
    public static string FindDefaultConfig()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, DefaultConfigFile);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return Path.GetFullPath(DefaultConfigFile);
    }
}
