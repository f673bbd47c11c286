namespace EgressGuard.Resolution;

/// <summary>Resolves a normalised host name to addresses and its CNAME chain.</summary>
internal interface IResolver
{
    ValueTask<Resolution> ResolveAsync(string name, CancellationToken cancellationToken);
}
