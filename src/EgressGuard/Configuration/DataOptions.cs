namespace EgressGuard.Configuration;

/// <summary>Configuration section <c>Data</c>.</summary>
internal sealed class DataOptions
{
    public const string Section = "Data";

    /// <summary>Folder for state such as caches and history; relative to the config file's folder. Default <c>data</c>.</summary>
    public string Directory { get; set; } = "data";
}
