namespace EgressGuard.Configuration;

/// <summary>Resolves relative paths in configuration against the config file's folder.</summary>
internal sealed class ConfigPaths
{
    public ConfigPaths(string? configFile, string baseDirectory)
    {
        ConfigFile = configFile;
        BaseDirectory = baseDirectory;
    }

    /// <summary>The config file in use, or null when none was found.</summary>
    public string? ConfigFile { get; }

    public string BaseDirectory { get; }

    public string Resolve(string path) => Path.GetFullPath(path, BaseDirectory);
}
