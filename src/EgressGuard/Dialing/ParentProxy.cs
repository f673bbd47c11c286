using System.Net;
using EgressGuard.Addressing;

namespace EgressGuard.Dialing;

/// <summary>
/// The configured parent proxy, parsed and resolved at start (<see cref="UpstreamValidation"/>):
/// where to connect, what to authenticate with, and which destinations bypass it.
/// </summary>
internal sealed class ParentProxy(string name, IPEndPoint endpoint, string? authorization, IReadOnlyList<string> directNames, IReadOnlyList<IpRange> directRanges)
{
    /// <summary>The value of <c>egressguard.upstream</c> for an exchange dialled directly.</summary>
    public const string DirectName = "direct";

    /// <summary>The parent as configured (<c>host:port</c>): the value of <c>egressguard.upstream</c> for an exchange it carried.</summary>
    public string Name { get; } = name;

    public IPEndPoint Endpoint { get; } = endpoint;

    /// <summary>The <c>Proxy-Authorization</c> value (<c>Basic …</c>), or null. Never logged.</summary>
    public string? Authorization { get; } = authorization;

    /// <summary>Whether <c>Upstream:Direct</c> sends this destination around the parent.</summary>
    public bool Bypasses(Target target, IPAddress address)
    {
        foreach (var name in directNames)
        {
            if (name.StartsWith('.')
                ? target.Host.EndsWith(name, StringComparison.OrdinalIgnoreCase) || target.Host.Equals(name[1..], StringComparison.OrdinalIgnoreCase)
                : target.Host.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        if (directRanges.Count == 0)
        {
            return false;
        }

        var single = IpRange.FromAddress(AddressNormalizer.Canonicalize(address));
        foreach (var range in directRanges)
        {
            if (range.Contains(single))
            {
                return true;
            }
        }

        return false;
    }
}
