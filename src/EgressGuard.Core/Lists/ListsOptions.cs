namespace EgressGuard.Lists;

/// <summary>Configuration section <c>Lists</c>: the admin's own bad-IP and bad-domain lists.</summary>
internal sealed class ListsOptions
{
    public const string Section = "Lists";

    /// <summary>Files of IP addresses, CIDRs, netmasks or ranges, one per line.</summary>
    public List<ListFileOptions> Ip { get; set; } = [];

    /// <summary>Files of domain names (<c>name</c>, <c>*.name</c>, <c>.name</c>), one per line.</summary>
    public List<ListFileOptions> Domain { get; set; } = [];
}

/// <summary>One list file.</summary>
internal sealed class ListFileOptions
{
    /// <summary>Path of the file; relative paths resolve against the config file's folder.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Label used in decisions as <c>list:NAME</c>. Default: the file name without extension.</summary>
    public string? Name { get; set; }
}
