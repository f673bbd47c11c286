using EgressGuard.Identity;
using EgressGuard.Interception;
using EgressGuard.Tunnels;

namespace EgressGuard.Proxy;

/// <summary>
/// For an allowed tunnel on an inspected port with interception on: decrypt it or not
/// (<see cref="TlsInterceptor.Choose"/>, against the exchange's snapshot), recorded on the
/// exchange either way. A tunnel chosen for decryption that cannot be decrypted (not TLS, no
/// certificate for its name) is closed, never passed blind.
/// </summary>
internal sealed class InterceptionStep(TlsInterceptor interceptor, TlsOptions tls, TimeProvider time)
{
    public bool Considers(int port) => interceptor.Enabled && tls.Inspects(port);

    /// <summary>
    /// Before the dial: the deny for a CONNECT that path or method rules apply to and that would not
    /// be decrypted (<see cref="BlindTunnelCheck"/>), else <paramref name="decision"/>. Asked without
    /// the TLS server name, which can only add interception, never remove it.
    /// </summary>
    public Decision RefuseBlind(PolicySnapshot snapshot, Decision decision, ClientIdentity client) =>
        decision.Target is { } target
            ? BlindTunnelCheck.Check(snapshot, decision, client, time.GetUtcNow(), address =>
                Considers(target.Port) && interceptor.Choose(snapshot, client, decision, null, address).Intercept) ?? decision
            : decision;

    /// <summary>
    /// The decrypting pump (it owns <paramref name="upstream"/> then), or null: blind when
    /// <paramref name="refused"/> is null, else the tunnel must close with that error type.
    /// </summary>
    public ITunnelPump? TryIntercept(IConnectClient client, ProxyExchange exchange, PolicySnapshot snapshot, Target target, Socket upstream, IPEndPoint dialed, long dialedAt, Activity? activity, out string? refused)
    {
        refused = null;
        var decision = exchange.Decision!;
        var serverName = exchange.TlsHello?.ServerName;
        var choice = interceptor.Choose(snapshot, exchange, decision, serverName, dialed);
        exchange.Interception = choice.Intercept ? InterceptionOutcome.Intercepted : InterceptionOutcome.NotIntercepted;
        exchange.InterceptionReason = choice.Reason;
        if (!choice.Intercept)
        {
            return null;
        }

        if (exchange.TlsHello is null)
        {
            // Chosen for decryption but not TLS (or silent): its requests cannot be checked, so it does not pass.
            refused = ErrorTypes.InterceptNotTls;
            return null;
        }

        try
        {
            return interceptor.CreatePump(client, exchange, decision, target, serverName, upstream, dialed, dialedAt, activity);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException or InvalidOperationException)
        {
            // No certificate for this name (an expired CA, a name no certificate can carry): closed, never passed blind.
            refused = ErrorTypes.TlsMintFailed;
            exchange.InterceptionReason += $" ({ex.Message})";
            return null;
        }
    }
}
