using EgressGuard.Dialing;

namespace EgressGuard.Interception;

/// <summary>
/// A connection feature of the decrypted side of a tunnel: what the CONNECT established, for the
/// requests that come through it. They are forwarded to the CONNECT's checked address only
/// (<see cref="Decision"/> approves exactly that one), as the CONNECT's identity.
/// </summary>
internal sealed class InterceptedTunnel
{
    /// <summary>The CONNECT's exchange (identity, client, trace id; its line is written when the tunnel ends).</summary>
    public required ProxyExchange Connect { get; init; }

    /// <summary>The CONNECT target: inner requests must name this host (else 421).</summary>
    public required Target Target { get; init; }

    /// <summary>The CONNECT's decision, pinned to the address it dialled.</summary>
    public required Decision Decision { get; init; }

    /// <summary>The socket the CONNECT dialled, handed to the first upstream connection the inner requests need.</summary>
    public required PreDialedSocket Upstream { get; init; }

    /// <summary>This tunnel's own upstream connections (never shared with another client's tunnel).</summary>
    public required HttpMessageInvoker Invoker { get; init; }

    /// <summary>The CONNECT span, so that inner requests' spans join its trace.</summary>
    public string? ParentId { get; init; }
}
