using EgressGuard.Lists;

namespace EgressGuard.Dialing;

/// <summary>
/// One configured parent proxy, parsed and resolved at start (<see cref="UpstreamValidation"/>):
/// where to connect, what to authenticate with, and which destinations bypass it.
/// </summary>
internal sealed class ParentProxy(string name, IPEndPoint endpoint, string? authorization, DestinationList direct)
{
    /// <summary>The value of <c>egressguard.upstream</c> for an exchange dialled directly.</summary>
    public const string DirectName = "direct";

    /// <summary>The default parent as configured (<c>host:port</c>), or a named parent's name: the value of <c>egressguard.upstream</c> for an exchange it carried.</summary>
    public string Name { get; } = name;

    public IPEndPoint Endpoint { get; } = endpoint;

    /// <summary>The <c>Proxy-Authorization</c> value (<c>Basic …</c>), or null. Never logged.</summary>
    public string? Authorization { get; } = authorization;

    /// <summary>Whether <c>Upstream:Direct</c> sends this destination around the parent: its requested name, or the approved address.</summary>
    public bool Bypasses(Target target, IPAddress address) => direct.Match(target.Host, address) is not null;
}
