using EgressGuard.Proxy;

namespace EgressGuard.Hosting;

/// <summary>
/// The deployment that makes an open relay out of safe defaults: listening beyond loopback with the
/// default trusted ranges (all of RFC 1918) and no proxy authentication. Behind SNAT, a port
/// forward or a cloud load balancer, internet clients arrive from a private address and pass the
/// trust check. Not an error (a flat office network is exactly what the defaults are for), a
/// warning at every start.
/// </summary>
internal static class OpenRelayCheck
{
    /// <summary>One warning per listener beyond loopback; none when the ranges were chosen or every client authenticates.</summary>
    public static IEnumerable<string> Warnings(IReadOnlyList<ProxyListener> listeners, ProxyOptions proxy, bool authenticates) =>
        listeners.Select(l => Warning(l.Key, l.Endpoint, proxy, authenticates)).OfType<string>();

    /// <summary>The warning's text, or null when the listener is loopback-only, the ranges were chosen, or every client authenticates.</summary>
    public static string? Warning(string key, IPEndPoint listen, ProxyOptions proxy, bool authenticates)
    {
        if (IPAddress.IsLoopback(listen.Address) || authenticates || !proxy.TrustedClients.SequenceEqual(ProxyOptions.DefaultTrustedClients))
        {
            return null;
        }

        return $"{key} = {listen} reaches beyond loopback and Proxy:TrustedClients is the default (loopback and all of RFC 1918) without proxy authentication: "
            + "behind SNAT, a port forward or a load balancer, internet clients arrive from a private address and may use this proxy as an open relay. "
            + "Set Proxy:TrustedClients to your client networks only (see docs/deploy.md)";
    }
}
