using System.Net.Http.Headers;
using EgressGuard.Dialing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace EgressGuard.Forwarding;

/// <summary>
/// Shapes the upstream request: YARP's defaults (hop-by-hop headers dropped), then the exact
/// request target the client sent, the original Host, the decision for the dialer, and the
/// removal of every <c>Proxy-*</c> header, every header the client named in <c>Connection</c>, and
/// <c>X-Content-Length</c> (Kestrel's trace of a dropped Content-Length). Only our <c>Via</c> entry
/// is added (<see cref="ViaHeader"/>, unless <c>Proxy:Via=false</c>): no <c>X-Forwarded-*</c>, no trace context.
/// On the way back, every <c>Proxy-*</c> header of the origin's response is dropped too: a
/// <c>Proxy-Authenticate</c> from a web server would otherwise ask the client for its proxy password.
/// </summary>
internal sealed class ForwardTransformer : HttpTransformer
{
    public static ForwardTransformer Instance { get; } = new();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var state = httpContext.Features.GetRequiredFeature<ForwardState>();
        RemoveConnectionNamed(httpContext.Request.Headers.Connection, proxyRequest);
        RemoveProxyHeaders(proxyRequest.Headers);
        if (proxyRequest.Content is not null)
        {
            RemoveProxyHeaders(proxyRequest.Content.Headers);
        }

        if (state.Via is { } via)
        {
            // Appended after the client's own entries, as RFC 9110 asks.
            proxyRequest.Headers.TryAddWithoutValidation("Via", via);
        }

        // Last, so that no header removal above can touch them.
        proxyRequest.RequestUri = state.Destination;
        proxyRequest.Headers.Host = state.HostHeader;
        proxyRequest.Options.Set(UpstreamHttpClient.DecisionKey, state.Decision);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var headers = httpContext.Response.Headers;
        List<string>? remove = null;
        foreach (var header in headers)
        {
            if (IsProxyHeader(header.Key))
            {
                (remove ??= []).Add(header.Key);
            }
        }

        foreach (var name in remove ?? [])
        {
            headers.Remove(name);
        }

        return proceed;
    }

    /// <summary>A <c>Proxy-*</c> header: between a client and its proxy only, never relayed either way (both forwarders).</summary>
    public static bool IsProxyHeader(string name) => name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase);

    private static void RemoveConnectionNamed(StringValues connection, HttpRequestMessage request)
    {
        foreach (var value in connection)
        {
            foreach (var token in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // YARP carries the Upgrade handshake itself (WebSocket over absolute-form).
                if (token.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                request.Headers.Remove(token);
                request.Content?.Headers.Remove(token);
            }
        }
    }

    private static void RemoveProxyHeaders(HttpHeaders headers)
    {
        List<string>? remove = null;
        foreach (var header in headers)
        {
            if (IsProxyHeader(header.Key)
                || header.Key.Equals("X-Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                (remove ??= []).Add(header.Key);
            }
        }

        foreach (var name in remove ?? [])
        {
            headers.Remove(name);
        }
    }
}
