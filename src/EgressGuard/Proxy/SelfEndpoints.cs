using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using EgressGuard.Policy;

namespace EgressGuard.Proxy;

/// <summary>
/// The addresses and ports EgressGuard listens on (proxy and admin), registered as they are bound.
/// A listener on 0.0.0.0 / [::] is reached through every local address, so those count too.
/// </summary>
internal sealed class SelfEndpoints : ISelfEndpoints
{
    private readonly ConcurrentDictionary<int, IPAddress> _listeners = new();
    private readonly Lazy<HashSet<IPAddress>> _local = new(LocalAddresses);

    public void Register(IPEndPoint endpoint) => _listeners[endpoint.Port] = endpoint.Address;

    public bool IsSelf(IPAddress address, int port)
    {
        if (!_listeners.TryGetValue(port, out var bound))
        {
            return false;
        }

        var canonical = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any))
        {
            return IPAddress.IsLoopback(canonical) || canonical.Equals(IPAddress.Any) || _local.Value.Contains(canonical);
        }

        // 127.0.0.1 and 127.0.0.2 reach the same socket only when bound to them; loopback is one host.
        return canonical.Equals(bound) || (IPAddress.IsLoopback(bound) && canonical.Equals(IPAddress.Any));
    }

    private static HashSet<IPAddress> LocalAddresses()
    {
        var set = new HashSet<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    set.Add(unicast.Address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Without the interface list, loopback is still recognised.
        }

        return set;
    }
}
