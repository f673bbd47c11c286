using System.Net.NetworkInformation;

namespace EgressGuard.Proxy;

/// <summary>
/// The addresses and ports EgressGuard listens on (proxy and admin), registered as they are bound,
/// keyed by address and port: the proxy's own address on another port is some other service, not
/// a loop. A listener on 0.0.0.0 / [::] is reached through every local address, so those count too;
/// they are read again when the machine's addresses change (<see cref="NetworkChange"/>) and at
/// most <see cref="RefreshInterval"/> after the last read, in case a change went unannounced.
/// </summary>
internal sealed class SelfEndpoints : ISelfEndpoints, IDisposable
{
    /// <summary>Longest a read of the local addresses is trusted without a change notification.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<IPEndPoint, byte> _listeners = new();
    private readonly Func<IReadOnlySet<IPAddress>> _readLocal;
    private readonly TimeProvider _time;
    private Snapshot? _local;

    public SelfEndpoints(TimeProvider time)
        : this(time, LocalAddresses)
    {
        NetworkChange.NetworkAddressChanged += OnAddressChanged;
    }

    /// <summary>For tests: where the local addresses come from.</summary>
    internal SelfEndpoints(TimeProvider time, Func<IReadOnlySet<IPAddress>> readLocal)
    {
        _time = time;
        _readLocal = readLocal;
    }

    public void Register(IPEndPoint endpoint) => _listeners[new IPEndPoint(Canonical(endpoint.Address), endpoint.Port)] = 0;

    public bool IsSelf(IPAddress address, int port)
    {
        var canonical = Canonical(address);
        foreach (var bound in _listeners.Keys)
        {
            if (bound.Port == port && Reaches(bound.Address, canonical))
            {
                return true;
            }
        }

        return false;
    }

    private bool Reaches(IPAddress bound, IPAddress address)
    {
        if (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any))
        {
            return IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || Local().Contains(address);
        }

        // 127.0.0.1 and 127.0.0.2 reach the same socket only when bound to them; 0.0.0.0 as a destination is this host.
        return address.Equals(bound) || (IPAddress.IsLoopback(bound) && address.Equals(IPAddress.Any));
    }

    private IReadOnlySet<IPAddress> Local()
    {
        var now = _time.GetTimestamp();
        var local = Volatile.Read(ref _local);
        if (local is null || _time.GetElapsedTime(local.ReadAt, now) >= RefreshInterval)
        {
            local = new Snapshot(_readLocal(), now);
            Volatile.Write(ref _local, local);
        }

        return local.Addresses;
    }

    private void OnAddressChanged(object? sender, EventArgs e) => Volatile.Write(ref _local, null);

    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static HashSet<IPAddress> LocalAddresses()
    {
        var set = new HashSet<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    set.Add(Canonical(unicast.Address));
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Without the interface list, loopback is still recognised.
        }

        return set;
    }

    public void Dispose() => NetworkChange.NetworkAddressChanged -= OnAddressChanged;

    private sealed record Snapshot(IReadOnlySet<IPAddress> Addresses, long ReadAt);
}
