using EgressGuard.Storage;

namespace EgressGuard.Quarantine;

/// <summary>
/// The fleet's shared quarantine (fleet mode only). An administrator's change is stored there
/// before it applies here, so it is either on every node or refused; an automatic quarantine
/// applies here at once (the proxy path never waits) and is sent as soon as the store answers.
/// </summary>
internal interface IQuarantineReplica
{
    /// <summary>Stores (or replaces) an entry; throws <see cref="StoreUnavailableException"/> when the store is down.</summary>
    Task PutAsync(QuarantineEntry entry);

    /// <summary>Ends a quarantine for the fleet; throws when the store is down.</summary>
    Task RemoveAsync(IPAddress address);

    /// <summary>Queues an entry already in force here, sent in the background (retried until the store takes it).</summary>
    void PutLater(QuarantineEntry entry);
}
