using System.Net;

namespace EgressGuard.Identity;

/// <summary>
/// Who asked: the client's address (always), and the proxy user and groups once authenticated.
/// Rules scope by it; every decision line carries it.
/// </summary>
internal sealed record ClientIdentity(IPAddress? Address, string? User = null, IReadOnlyList<string>? Groups = null)
{
    public static ClientIdentity Unknown { get; } = new((IPAddress?)null);

    public IReadOnlyList<string> GroupList => Groups ?? [];
}
