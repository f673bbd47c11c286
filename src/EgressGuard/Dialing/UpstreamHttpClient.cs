using System.Security.Cryptography.X509Certificates;
using EgressGuard.Identity;

namespace EgressGuard.Dialing;

/// <summary>
/// The <see cref="SocketsHttpHandler"/>s for forwarded requests. Plain <c>http://</c> requests get
/// one per client identity (<see cref="UpstreamPools"/>: the user, else the client address), so
/// one client's upstream connection (and any NTLM/Negotiate login bound to it) is never reused for
/// another's request. They are sent to <c>http://approved-ip:port</c> with the original Host header,
/// so each pool is keyed by the checked address and a pooled connection is only ever reused for
/// a request whose current decision approved that same address. Each intercepted tunnel gets its
/// own (<see cref="CreateTunnelInvoker"/>): its upstream connections belong to that client's tunnel
/// alone, as a blind tunnel's would (connection-bound authentication such as NTLM stays per user,
/// and one client's stream can never desynchronise another's). Every connection is dialled by the
/// <see cref="Dialer"/>, which verifies the address against the decision carried in the request
/// options. No proxy, redirects, cookies, decompression or trace-header injection; upstream TLS is
/// validated strictly against the Host name (SocketsHttpHandler uses the Host header for SNI and
/// the name check): the system's roots, plus <c>Tls:Intercept:UpstreamCaFile</c> when set.
/// </summary>
internal sealed class UpstreamHttpClient : IDisposable
{
    public static readonly HttpRequestOptionsKey<Decision> DecisionKey = new("EgressGuard.Decision");

    private readonly Dialer _dialer;
    private readonly DialerOptions _options;
    private readonly X509ChainPolicy _chainPolicy;

    public UpstreamHttpClient(Dialer dialer, DialerOptions options, TimeProvider time)
    {
        _dialer = dialer;
        _options = options;
        // Upstream chains are validated offline: an upstream's AIA URL is never fetched (Tls/OfflineChain).
        _chainPolicy = options.UpstreamCaFile is { Length: > 0 } extra
            ? Tls.OfflineChain.CustomTrust(UpstreamTrust.Load(extra))
            : Tls.OfflineChain.SystemTrust();

        Pools = new UpstreamPools(() => new HttpMessageInvoker(CreateHandler(null, PooledConnectionIdle), disposeHandler: true), time, PooledConnectionIdle);
    }

    private static readonly TimeSpan PooledConnectionIdle = TimeSpan.FromSeconds(60);

    /// <summary>The per-identity pools for plain <c>http://</c> requests.</summary>
    public UpstreamPools Pools { get; }

    /// <summary>The pool for one allowed <c>http://</c> request: its client identity's, for the route its dial takes.</summary>
    public UpstreamPoolLease Rent(ClientIdentity identity, Decision decision) =>
        Pools.Rent(identity, decision.Approved.Count > 0 ? _dialer.RouteName(decision, decision.Approved[0]) : null);

    /// <summary>
    /// An intercepted tunnel's own invoker: its first connection uses the CONNECT's socket
    /// (<paramref name="preDialed"/>) when it is still fresh, later ones are dialled to the same
    /// checked address. Disposed with the tunnel.
    /// </summary>
    public HttpMessageInvoker CreateTunnelInvoker(PreDialedSocket preDialed) =>
        new(CreateHandler(preDialed, _options.IdleTimeout < PooledConnectionIdle ? _options.IdleTimeout : PooledConnectionIdle), disposeHandler: true);

    private SocketsHttpHandler CreateHandler(PreDialedSocket? preDialed, TimeSpan idle)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            PooledConnectionLifetime = _options.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = idle,
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                if (!context.InitialRequestMessage.Options.TryGetValue(DecisionKey, out var decision)
                    || !IPAddress.TryParse(context.DnsEndPoint.Host, out var address))
                {
                    throw new InvalidOperationException("Forwarded request without an approved decision.");
                }

                if (preDialed?.TryTake(address, context.DnsEndPoint.Port) is { } connected)
                {
                    return new NetworkStream(connected, ownsSocket: true);
                }

                var socket = await _dialer.ConnectAsync(decision, address, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.CertificateChainPolicy = _chainPolicy;
        return handler;
    }

    public void Dispose() => Pools.Dispose();
}
