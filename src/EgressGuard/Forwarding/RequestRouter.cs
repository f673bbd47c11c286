using EgressGuard.Clients;
using EgressGuard.Exchange;
using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Forwarding;

/// <summary>
/// The HTTP pipeline's only handler: sends each request where it belongs.
/// 1. a request target with control characters: refused (Kestrel lets a raw TAB through);
/// 2. a request inside an intercepted tunnel → <see cref="InterceptedRequestHandler"/>;
/// 3. TRACE: refused (it echoes the request, credentials included, to whoever reads the response);
/// 4. absolute-form <c>http://</c> → <see cref="HttpForwardHandler"/>;
/// 5. origin-form: the proxy's own endpoints (<c>/healthz</c>, the PAC file), else a 400 that says how to use a proxy;
/// 6. anything else (<c>https://</c> absolute-form, authority-form): a 400.
/// Every refusal of a proxy request completes like any exchange: log line, history row, span.
/// </summary>
internal sealed class RequestRouter(HttpForwardHandler forward, InterceptedRequestHandler intercepted, PacFile pac, ExchangeFactory exchanges, ExchangeCompletion completion, ProxyTelemetry telemetry)
{
    public Task InvokeAsync(HttpContext context)
    {
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (rawTarget.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0 || rawTarget.Contains('\x7f', StringComparison.Ordinal))
        {
            return RefuseTargetAsync(context, rawTarget);
        }

        if (context.Features.Get<Interception.InterceptedTunnel>() is { } tunnel)
        {
            return intercepted.HandleAsync(context, tunnel, rawTarget);
        }

        if (HttpMethods.IsTrace(context.Request.Method))
        {
            return RefuseAsync(context, rawTarget, 405, "TRACE is not proxied");
        }

        if (rawTarget.StartsWith(AbsoluteTarget.HttpPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return forward.HandleAsync(context, rawTarget);
        }

        if (rawTarget.StartsWith('/'))
        {
            return OwnEndpointAsync(context);
        }

        return RefuseTargetAsync(context, rawTarget);
    }

    private Task OwnEndpointAsync(HttpContext context)
    {
        if (context.Request.Path == "/healthz" && HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("ok\n");
        }

        if (pac.Serves(context.Request))
        {
            return pac.WriteAsync(context);
        }

        return ProxyResponseWriter.WriteAsync(context, ProxyResponse.ForProtocolError(
            400,
            "this is an HTTP proxy, not a web server: configure it as your proxy (for example curl -x http://HOST:PORT http://example.com/ or HTTP_PROXY/HTTPS_PROXY)",
            ActivityTraceId.CreateRandom()));
    }

    private Task RefuseTargetAsync(HttpContext context, string rawTarget)
    {
        var message = rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? "https:// URLs go through a CONNECT tunnel: configure the proxy for HTTPS too (HTTPS_PROXY, curl -x)"
            : $"unsupported request target '{PrintableText.Of(rawTarget)}': only http:// absolute-form and CONNECT are proxied";
        return RefuseAsync(context, rawTarget, 400, message);
    }

    /// <summary>A proxy request refused before any target was decided: answered, and recorded like every exchange.</summary>
    private async Task RefuseAsync(HttpContext context, string rawTarget, int status, string message)
    {
        var (activity, traceId) = telemetry.Start(context.Request.Method);
        var exchange = exchanges.Create(context, traceId);
        exchange.RawTarget = PrintableText.Of(rawTarget);
        exchange.Status = status;
        exchange.ErrorType = Policy.DecisionReasons.BadRequest;
        try
        {
            await ProxyResponseWriter.WriteAsync(context, ProxyResponse.ForProtocolError(status, message, exchange.TraceId));
        }
        finally
        {
            completion.Complete(activity, exchange);
        }
    }
}
