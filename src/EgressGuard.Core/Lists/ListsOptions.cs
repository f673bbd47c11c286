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
