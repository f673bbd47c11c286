namespace EgressGuard.Fleet;

/// <summary>A piece of shared state that <see cref="FleetSync"/> keeps in step with the store.</summary>
internal interface IFleetParticipant
{
    /// <summary>
    /// Compares this node's version with the store's and takes what is newer; sends what this
    /// node queued while the store was away. <paramref name="atStart"/>: the store's state wins
    /// over the local copy even at the same version. Throws when the store cannot be reached.
    /// </summary>
    Task SyncAsync(bool atStart, CancellationToken cancellationToken);
}
