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

    public UpstreamHttpClient(Dialer dialer, IOptions<ProxyOptions> options)
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

                var socket = await dialer.ConnectAsync(decision, address, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
