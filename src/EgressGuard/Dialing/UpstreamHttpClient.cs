using System.Net;
using System.Net.Sockets;
using EgressGuard.Policy;
using EgressGuard.Proxy;
using Microsoft.Extensions.Options;

namespace EgressGuard.Dialing;

/// <summary>
/// The one shared <see cref="SocketsHttpHandler"/> for forwarded requests. Requests are sent to
/// <c>http://approved-ip:port</c> with the original Host header, so the connection pool is keyed
/// by the checked address: a pooled connection is only ever reused for a request whose current
/// decision approved that same address. <see cref="SocketsHttpHandler.ConnectCallback"/> dials that
/// address through the <see cref="Dialer"/>, which verifies it against the decision carried in the
/// request options. No proxy, redirects, cookies, decompression or trace-header injection.
/// </summary>
internal sealed class UpstreamHttpClient : IDisposable
{
    public static readonly HttpRequestOptionsKey<Decision> DecisionKey = new("EgressGuard.Decision");

    /// <summary>An intercepted tunnel's already dialled socket, for the first connection to its endpoint.</summary>
    public static readonly HttpRequestOptionsKey<PreDialedSocket> PreDialedKey = new("EgressGuard.PreDialed");

    public UpstreamHttpClient(Dialer dialer, IOptions<ProxyOptions> options, TlsOptions tls, Hosting.ConfigPaths paths)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            PooledConnectionLifetime = options.Value.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                if (!context.InitialRequestMessage.Options.TryGetValue(DecisionKey, out var decision)
                    || !IPAddress.TryParse(context.DnsEndPoint.Host, out var address))
                {
                    throw new InvalidOperationException("Forwarded request without an approved decision.");
                }

                if (context.InitialRequestMessage.Options.TryGetValue(PreDialedKey, out var preDialed)
                    && preDialed.TryTake(address, context.DnsEndPoint.Port) is { } connected)
                {
                    return new NetworkStream(connected, ownsSocket: true);
                }

                var socket = await dialer.ConnectAsync(decision, address, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        // Requests from intercepted tunnels go upstream over TLS, validated strictly against the
        // Host name (SocketsHttpHandler uses the Host header for SNI and the name check): the
        // system's roots, plus an internal CA when configured. Never switched off.
        if (tls.Intercept.UpstreamCaFile is { Length: > 0 } extra)
        {
            var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(UpstreamTrust.Load(paths.Resolve(extra)));
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
