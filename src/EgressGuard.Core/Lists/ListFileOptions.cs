namespace EgressGuard.Lists;

/// <summary>One list file.</summary>
internal sealed class ListFileOptions
{
    /// <summary>Path of the file; relative paths resolve against the config file's folder.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Label used in decisions as <c>list:NAME</c>. Default: the file name without extension.</summary>
    public string? Name { get; set; }
}
