using System.Diagnostics;
using EgressGuard.Addressing;
using EgressGuard.Interception;
using EgressGuard.Policy;
using EgressGuard.Telemetry;

namespace EgressGuard.Proxy;

/// <summary>
/// Requests inside an intercepted tunnel (origin-form, decrypted by the <see cref="InterceptingPump"/>):
/// 1. the Host must name the CONNECT's host (else 421: no hopping to another site through one tunnel);
/// 2. the path rules decide the URL; a deny is a 403 (or the block page) inside the tunnel;
/// 3. forwarded over TLS, validated strictly, to the address the CONNECT dialled, as the CONNECT's identity;
/// 4. one decision line per request, linked to the tunnel's line by <c>egressguard.tunnel.trace_id</c>.
/// </summary>
internal sealed partial class ForwardProxyHandler
{
    private async Task InterceptedAsync(HttpContext context, InterceptedTunnel tunnel, string rawTarget)
    {
        var (activity, traceId) = _telemetry.Start(context.Request.Method, tunnel.ParentId);
        var exchange = NewExchange(context, traceId);
        exchange.Identity = tunnel.Connect.Identity;
        exchange.Scheme = "https";
        exchange.Interception = "inner";
        exchange.TunnelTraceId = tunnel.Connect.TraceId;
        exchange.TlsHello = tunnel.Connect.TlsHello;
        exchange.UserAgent = context.Request.Headers.UserAgent.Count > 0 ? context.Request.Headers.UserAgent.ToString() : null;
        var target = tunnel.Target;
        try
        {
            ProxyTelemetry.Name(activity, context.Request.Method, target);

            // 0. Origin-form only: what is checked is the target as written, and that is what is
            //    forwarded. (Absolute-form would reach us decoded by Kestrel: a different string.)
            // '#' never belongs in a request target (RFC 9112); forwarded, it would carry a path the check never saw.
            if (!rawTarget.StartsWith('/') || rawTarget.Contains('#', StringComparison.Ordinal))
            {
                exchange.RawTarget = ConnectHeadParser.Printable(rawTarget);
                exchange.Decision = Decision.BadRequest($"request target '{exchange.RawTarget}': inside a tunnel only origin-form targets ('/path', no fragment) are accepted", target);
                context.Response.Headers.Connection = "close";
                await RespondAsync(context, exchange, ProxyResponse.ForDecision(exchange.Decision, context.Request.Method, traceId));
                return;
            }

            exchange.Path = RequestPath.PathOf(rawTarget);

            // 1. The host.
            if (!SameHost(context.Request.Host, target, out var named))
            {
                exchange.Decision = tunnel.Decision with
                {
                    Action = DecisionAction.Error,
                    Reason = DecisionReasons.HostMismatch,
                    Rule = "tls:host",
                    Entry = ConnectHeadParser.Printable(named),
                    Approved = [],
                    Detail = $"this tunnel was opened to {target.Host}; a request for '{ConnectHeadParser.Printable(named)}' needs its own CONNECT",
                };
                context.Response.Headers.Connection = "close";
                await RespondAsync(context, exchange, ProxyResponse.ForDecision(exchange.Decision, context.Request.Method, traceId));
                return;
            }

            if (HttpMethods.IsConnect(context.Request.Method) || context.Request.Headers.ContainsKey("X-Content-Length"))
            {
                exchange.Decision = Decision.BadRequest(HttpMethods.IsConnect(context.Request.Method) ? "no CONNECT inside an intercepted tunnel" : AmbiguousFraming, target);
                context.Response.Headers.Connection = "close";
                await RespondAsync(context, exchange, ProxyResponse.ForDecision(exchange.Decision, context.Request.Method, traceId));
                return;
            }

            // 2. The URL: the path rules, as for plain http.
            exchange.Decision = tunnel.Decision;
            var decision = await DecidePathAsync(context, exchange, tunnel.Decision, activity);
            if (decision.IsAllowed)
            {
                // 3. Upstream, to the CONNECT's address only.
                await ForwardAllowedAsync(context, exchange, decision, target, rawTarget, "https", tunnel.Invoker);
            }
        }
        finally
        {
            // The CONNECT's socket serves the tunnel's first upstream connection (if still fresh);
            // either way it is not kept idle for the tunnel's lifetime.
            tunnel.Upstream.Dispose();
            Complete(exchange, activity);
        }
    }

    /// <summary>Whether the request's Host names the CONNECT's host (and port, when it names one).</summary>
    private static bool SameHost(HostString host, Target target, out string named)
    {
        named = host.Value ?? string.Empty;
        if (!host.HasValue || !TargetParser.TryParseAuthority(named, target.Port, out var parsed, out _))
        {
            return false;
        }

        // No port in Host is the scheme's default; clients name a non-default port, and then it must match.
        var portMatches = host.Port is null || parsed.Port == target.Port;
        return portMatches && string.Equals(parsed.Host, target.Host, StringComparison.OrdinalIgnoreCase);
    }
}
