namespace EgressGuard.Lists;

/// <summary>One entry that covers an address: its source and the range as listed.</summary>
internal readonly record struct IpMatch(ListSource Source, IpRange Entry)
{
    /// <summary>The decision's rule label, e.g. <c>list:admin</c>, <c>feed:feodo</c>.</summary>
    public string Rule => Source.Name;

    public string? Category => Source.Category;
}
