namespace EgressGuard.Resolution;

/// <summary>Resolves a normalised host name to addresses and its CNAME chain.</summary>
internal interface IResolver
{
    ValueTask<Resolution> ResolveAsync(string name, CancellationToken cancellationToken);

    /// <summary>The cached answer for <paramref name="name"/>, if any; never queries a server.</summary>
    bool TryGetCached(string name, out Resolution resolution)
    {
        resolution = null!;
        return false;
    }
}
