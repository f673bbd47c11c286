using EgressGuard.Exchange;
using EgressGuard.Interception;

namespace EgressGuard.Forwarding;

/// <summary>
/// A request inside an intercepted tunnel (origin-form, decrypted by the <see cref="InterceptingPump"/>;
/// the exchange pipeline of ARCHITECTURE.md, intercepted column):
/// 1. target: origin-form only, and the Host must name the CONNECT's host (else 421: no hopping
///    to another site through one tunnel);
/// 2. decide: the path rules, against the snapshot of this request; a deny is a 403 (or the
///    block page) inside the tunnel;
/// 3. forward over TLS, validated strictly, to the address the CONNECT dialled, as the CONNECT's identity;
/// 4. complete: one decision line per request, linked to the tunnel's by <c>egressguard.tunnel.trace_id</c>.
/// </summary>
internal sealed class InterceptedRequestHandler(ExchangeFactory exchanges, DecideStep decide, UpstreamForwarder upstream, ProxyResponseWriter writer, ExchangeCompletion completion, ProxyTelemetry telemetry, ViaHeader via)
{
    public async Task HandleAsync(HttpContext context, InterceptedTunnel tunnel, string rawTarget)
    {
        var (activity, traceId) = telemetry.Start(context.Request.Method, tunnel.ParentId);
        var exchange = exchanges.Create(context, traceId);
        exchange.Identity = tunnel.Connect.Identity;
        exchange.Scheme = "https";
        exchange.Interception = InterceptionOutcome.Inner;
        exchange.TunnelTraceId = tunnel.Connect.TraceId;
        exchange.TlsHello = tunnel.Connect.TlsHello;
        var target = tunnel.Target;
        try
        {
            ProxyTelemetry.Name(activity, context.Request.Method, target);

            // 1. Origin-form only: what is checked is the target as written, and that is what is
            //    forwarded. (Absolute-form would reach us decoded by Kestrel: a different string.)
            // '#' never belongs in a request target (RFC 9112); forwarded, it would carry a path the check never saw.
            if (!rawTarget.StartsWith('/') || rawTarget.Contains('#', StringComparison.Ordinal))
            {
                exchange.RawTarget = PrintableText.Of(rawTarget);
                await writer.RefuseAsync(context, exchange, Decision.BadRequest($"request target '{exchange.RawTarget}': inside a tunnel only origin-form targets ('/path', no fragment) are accepted", target), closeConnection: true);
                return;
            }

            exchange.Path = RequestPath.PathOf(rawTarget);
            var host = context.Request.Host.Value ?? string.Empty;
            if (!context.Request.Host.HasValue || !TargetParser.NamesHost(host, target))
            {
                await writer.RefuseAsync(context, exchange, tunnel.Decision with
                {
                    Action = DecisionAction.Error,
                    Reason = DecisionReasons.HostMismatch,
                    Rule = "tls:host",
                    Entry = PrintableText.Of(host),
                    Approved = [],
                    Detail = $"this tunnel was opened to {target.Host}; a request for '{PrintableText.Of(host)}' needs its own CONNECT",
                }, closeConnection: true);
                return;
            }

            if (HttpMethods.IsConnect(context.Request.Method) || HttpMethods.IsTrace(context.Request.Method) || context.Request.Headers.ContainsKey(HttpForwardHandler.DroppedContentLength))
            {
                await writer.RefuseAsync(context, exchange, Decision.BadRequest(
                    HttpMethods.IsConnect(context.Request.Method) ? "no CONNECT inside an intercepted tunnel"
                    : HttpMethods.IsTrace(context.Request.Method) ? "TRACE is not proxied (it echoes the request, credentials included)"
                    : HttpForwardHandler.AmbiguousFraming,
                    target), closeConnection: true);
                return;
            }

            if (via.Loop(context.Request.Headers.Via, target) is { } loop)
            {
                await writer.RefuseAsync(context, exchange, loop);
                return;
            }

            // 2. The URL: the path rules, as for plain http, against this request's snapshot.
            exchange.Decision = tunnel.Decision;
            var decision = decide.DecidePath(exchange, activity, decide.Capture(), tunnel.Decision);
            if (!decision.IsAllowed)
            {
                await writer.RefuseAsync(context, exchange, decision);
                return;
            }

            // 3. Upstream, to the CONNECT's address only.
            await upstream.ForwardAsync(context, exchange, decision, target, rawTarget, "https", tunnel.Invoker);
        }
        finally
        {
            // The CONNECT's socket serves the tunnel's first upstream connection (if still fresh);
            // either way it is not kept idle for the tunnel's lifetime.
            tunnel.Upstream.Dispose();

            // 4. Complete.
            completion.Complete(activity, exchange);
        }
    }
}
