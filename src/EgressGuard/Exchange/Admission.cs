using System.Security.Cryptography.X509Certificates;
using EgressGuard.Identity;

namespace EgressGuard.Exchange;

/// <summary>
/// Who asks: the trusted-range check and proxy authentication (Basic, or a client certificate),
/// the same for a CONNECT, a forwarded request and a refusal. A refused client gets the
/// response to send; an admitted one has its identity on the exchange.
/// </summary>
internal sealed class Admission
{
    private readonly ProxyAuthenticator _auth;

    public Admission(ProxyAuthenticator auth) => _auth = auth;

    public bool IsTrusted(IPAddress? address) => _auth.IsTrusted(address);

    /// <summary>Sets the exchange's identity; returns null when admitted, else the 407/429 to answer.</summary>
    /// <param name="connection">The client connection's items: Negotiate authenticates a kept-alive connection once.</param>
    public async ValueTask<ProxyResponse?> AdmitAsync(ProxyExchange exchange, string? proxyAuthorization, X509Certificate2? clientCertificate, IDictionary<object, object?>? connection = null, CancellationToken cancellationToken = default)
    {
        var address = exchange.Client?.Address;
        var (result, identity) = await _auth.AdmitAsync(address, proxyAuthorization, ClientCertificates.Identity(address, clientCertificate), connection, cancellationToken).ConfigureAwait(false);
        exchange.Identity = identity;
        if (result == AdmissionResult.Admitted)
        {
            return null;
        }

        exchange.ErrorType = result switch
        {
            AdmissionResult.Throttled => DecisionReasons.AuthThrottled,
            AdmissionResult.Busy => DecisionReasons.AuthBusy,
            _ => DecisionReasons.AuthRequired,
        };
        return ProxyResponse.ForAdmission(result, _auth.Challenges, exchange.TraceId);
    }

    /// <summary>A client outside the trusted ranges: refused before anything it sent is parsed.</summary>
    public ProxyResponse Untrusted(ProxyExchange exchange)
    {
        exchange.ErrorType = DecisionReasons.UntrustedClient;
        return ProxyResponse.ForAdmission(AdmissionResult.UntrustedClient, _auth.Challenges, exchange.TraceId);
    }
}
