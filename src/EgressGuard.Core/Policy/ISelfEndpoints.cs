namespace EgressGuard.Policy;

/// <summary>EgressGuard's own listeners: a request for one of them is a loop (or a way into the admin API) and is refused.</summary>
internal interface ISelfEndpoints
{
    bool IsSelf(IPAddress address, int port);
}
