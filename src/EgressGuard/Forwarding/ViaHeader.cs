using EgressGuard.Proxy;
using Microsoft.Extensions.Primitives;

namespace EgressGuard.Forwarding;

/// <summary>
/// <c>Via: 1.1 egressguard-&lt;Node:Name&gt;</c> on every forwarded request (RFC 9110 §7.6.3: a proxy
/// appends its entry), so that a request that comes back to this node — through a NAT, a parent
/// proxy or a transparent redirect that hides our own address — is recognised by its token and
/// refused as a loop (<c>self-loop</c>, like a request for one of our own listeners). Off with
/// <c>Proxy:Via=false</c>: then nothing is added and nothing is recognised.
/// </summary>
internal sealed class ViaHeader
{
    public ViaHeader(NodeOptions node, IOptions<ProxyOptions> options)
    {
        Token = "egressguard-" + node.Name;
        Value = options.Value.Via ? "1.1 " + Token : null;
    }

    /// <summary>This node's received-by token.</summary>
    public string Token { get; }

    /// <summary>The entry added upstream; null when <c>Proxy:Via</c> is off.</summary>
    public string? Value { get; }

    /// <summary>A loop refusal when the request's <c>Via</c> names this node already; else null.</summary>
    public Decision? Loop(StringValues via, Addressing.Target target)
    {
        if (Value is null || !Carries(via))
        {
            return null;
        }

        return new Decision
        {
            Action = DecisionAction.Deny,
            Reason = DecisionReasons.SelfLoop,
            Target = target,
            Rule = "guard:via",
            Entry = Token,
            Detail = $"the request's Via header names this proxy ({Token}): it came back through the proxy, a loop",
        };
    }

    /// <summary>True when an entry's received-by (its second field: <c>1.1 token [comment]</c>) is our token.</summary>
    private bool Carries(StringValues via)
    {
        foreach (var value in via)
        {
            foreach (var entry in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = entry.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && fields[1].Equals(Token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
