using EgressGuard.Dialing;
using EgressGuard.Exchange;

namespace EgressGuard.Forwarding;

/// <summary>
/// An absolute-form <c>http://</c> request (the exchange pipeline of ARCHITECTURE.md, HTTP column):
/// 1. admission (<see cref="Admission"/>); refused → 407/429;
/// 2. target: the authority and raw path as the client wrote them; ambiguous framing refused;
/// 3. decide against one snapshot: the destination, then the path rules (<see cref="DecideStep"/>);
///    not allowed → the decision's response, nothing dialled;
/// 4. forward (<see cref="UpstreamForwarder"/>) to <c>http://approved-ip:port</c> with the original Host,
///    on the client identity's own upstream pool: with <c>Proxy:Forwarder=lean</c> by
///    <see cref="Lean.LeanForwarder"/> (chosen once per request, for all but upgrades), else by YARP
///    (<see cref="UpstreamPools"/>), where an upgraded request (WebSocket) runs on as a tunnel (<see cref="UpgradeWatch"/>);
/// 5. complete (<see cref="ExchangeCompletion"/>).
/// </summary>
internal sealed class HttpForwardHandler(ExchangeFactory exchanges, Admission admission, DecideStep decide, UpstreamForwarder upstream, UpstreamHttpClient client, ProxyResponseWriter writer, ExchangeCompletion completion, ProxyTelemetry telemetry, ViaHeader via, Tunnels.TunnelRunner tunnels, Lean.LeanForwarder lean, Microsoft.Extensions.Options.IOptions<Proxy.ProxyOptions> options)
{
    /// <summary>Kestrel accepts Content-Length with Transfer-Encoding, reads the body as chunked and keeps the dropped length as this header.</summary>
    public const string DroppedContentLength = "X-Content-Length";

    public const string AmbiguousFraming = "Content-Length together with Transfer-Encoding is ambiguous framing; send one of them";

    private readonly bool _lean = options.Value.Forwarder == Proxy.ProxyOptions.ForwarderLean;

    public async Task HandleAsync(HttpContext context, string rawTarget)
    {
        var traceParent = context.Request.Headers.TraceParent;
        var (activity, traceId) = telemetry.Start(context.Request.Method, traceParent.Count > 0 ? traceParent.ToString() : null);
        var exchange = exchanges.Create(context, traceId);
        try
        {
            // 1. Admission (the trusted range was checked by the listener).
            var header = context.Request.Headers.ProxyAuthorization;
            if (await admission.AdmitAsync(exchange, header.Count > 0 ? header.ToString() : null, context.Connection.ClientCertificate, context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items, context.RequestAborted) is { } refusal)
            {
                exchange.RawTarget = PrintableText.Of(rawTarget);
                await writer.RespondAsync(context, exchange, refusal);
                return;
            }

            // 2. Target.
            if (!AbsoluteTarget.TrySplit(rawTarget, out var authority, out var pathAndQuery, out var error)
                || !TargetParser.TryParseAuthority(authority, 80, out var target, out error))
            {
                exchange.RawTarget = PrintableText.Of(rawTarget);
                await writer.RefuseAsync(context, exchange, Decision.BadRequest($"invalid request target '{exchange.RawTarget}': {error}"));
                return;
            }

            exchange.Path = RequestPath.PathOf(pathAndQuery);
            exchange.Scheme = "http";
            ProxyTelemetry.Name(activity, context.Request.Method, target);
            if (context.Request.Headers.ContainsKey(DroppedContentLength))
            {
                // Request smuggling: ambiguous framing is refused, never forwarded.
                await writer.RefuseAsync(context, exchange, Decision.BadRequest(AmbiguousFraming, target), closeConnection: true);
                return;
            }

            // A request that has been through this node already: a loop, refused before any lookup.
            if (via.Loop(context.Request.Headers.Via, target) is { } loop)
            {
                await writer.RefuseAsync(context, exchange, loop);
                return;
            }

            // 3. Decide: the destination, then the path.
            var snapshot = decide.Capture();
            var decision = await decide.DecideAsync(exchange, activity, snapshot, target, context.RequestAborted);
            if (decision.IsAllowed)
            {
                decision = decide.DecidePath(exchange, activity, snapshot, decision);
            }

            if (!decision.IsAllowed)
            {
                await writer.RefuseAsync(context, exchange, decision);
                return;
            }

            // 4. Forward: the lean path, or YARP for what the lean path leaves to it.
            if (_lean && Lean.LeanForwarder.Handles(context))
            {
                await lean.ForwardAsync(context, exchange, decision, target, pathAndQuery);
                return;
            }

            await using var upgrade = UpgradeWatch.Start(context, exchange, snapshot, tunnels);
            using var pool = client.Rent(exchange.Identity, decision);
            await upstream.ForwardAsync(context, exchange, decision, target, pathAndQuery, "http", pool.Invoker);
        }
        finally
        {
            // 5. Complete.
            completion.Complete(activity, exchange);
        }
    }
}
