namespace EgressGuard.Lists;

/// <summary>Which list and which entry of it matched a name.</summary>
internal readonly record struct DomainMatch(ListSource Source, string Entry)
{
    public string Rule => Source.Name;
}
