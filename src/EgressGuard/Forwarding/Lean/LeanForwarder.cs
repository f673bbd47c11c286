using EgressGuard.Dialing;
using EgressGuard.Exchange;
using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Forwarding.Lean;

/// <summary>
/// The lean HTTP/1.1 forwarder for absolute-form <c>http://</c> requests (<c>Proxy:Forwarder=lean</c>):
/// Kestrel parses the client side; this writes the request to a pooled upstream connection and
/// relays the response, without HttpClient's request and response objects in between.
/// For each approved address in turn while nothing has been sent (a connect failure):
/// 1. a pooled idle connection for the identity, route and address (<see cref="LeanPool"/>), else one the <see cref="Dialer"/> opens;
/// 2. the request head in origin-form (<see cref="RequestHead"/>), then the body, sent while the response is awaited (<see cref="RequestBody"/>);
/// 3. the response head, 1xx skipped (<see cref="ResponseHead"/>); malformed or oversized → 502;
/// 4. the response streamed to the client (<see cref="ResponseBody"/>);
/// 5. the connection back to the pool only when the response was read to its end, the request
///    body was sent whole and both sides allow keep-alive; else closed.
/// A reused connection that fails before any response byte (the server closed it while idle) is
/// retried once on a fresh connection, when the request is idempotent and no body byte was read.
/// Records the same exchange fields as <see cref="UpstreamForwarder"/>: address, route, status, bytes, error type.
/// </summary>
internal sealed partial class LeanForwarder(Dialer dialer, LeanPool pool, ProxyResponseWriter writer, ViaHeader via, TimeProvider time, TimeSpan upstreamTimeout, ILogger<LeanForwarder> logger)
{
    /// <summary>The lean path's scope, chosen once per request: everything but an upgrade (WebSocket), which YARP carries as a tunnel.</summary>
    public static bool Handles(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } && !context.Request.Headers.ContainsKey("Upgrade");

    public async Task ForwardAsync(HttpContext context, ProxyExchange exchange, Decision decision, Addressing.Target target, string pathAndQuery)
    {
        var requestBody = new CountingStream(context.Request.Body);
        var responseBody = new CountingStream(context.Response.Body);
        context.Response.Body = responseBody;
        using var timer = new UpstreamTimer(upstreamTimeout, context.RequestAborted);
        // The request body's own clock, only for a request that has one (most have none: no second source per GET).
        using var bodyTimer = HasBody(context.Request) ? new UpstreamTimer(upstreamTimeout, context.RequestAborted) : null;
        var request = new LeanRequest(context, requestBody, responseBody, pathAndQuery, target.Authority(80), via.Value, timer, bodyTimer);

        DialException? dialFailure = null;
        foreach (var address in decision.Approved)
        {
            var endpoint = new IPEndPoint(address, target.Port);
            var route = dialer.RouteName(decision, address);
            exchange.Dialed = endpoint;
            exchange.Upstream = route;
            try
            {
                await ExchangeAsync(request, exchange, decision, LeanPool.KeyOf(exchange.Identity, route, endpoint), endpoint);
                dialFailure = null;
                break;
            }
            catch (DialException ex)
            {
                // 1. Nothing was sent on this address: try the next one.
                dialFailure = ex;
                exchange.Dialed = null;
                if (ex.Failure == DialFailure.ParentUnreachable)
                {
                    break; // the same parent for every address: the next one would only wait again
                }
            }
        }

        if (dialFailure is not null && !context.Response.HasStarted)
        {
            exchange.ErrorType = dialFailure.ErrorType;
            await writer.RespondAsync(context, exchange, ProxyResponse.ForUpstreamFailure(
                decision, context.Request.Method, dialFailure.ErrorType, dialFailure.Message, exchange.TraceId, dialFailure.Failure == DialFailure.Timeout));
        }

        exchange.Status = context.Response.StatusCode;
        exchange.BytesUp = requestBody.Count;
        exchange.BytesDown = responseBody.Count;
    }

    private async Task ExchangeAsync(LeanRequest request, ProxyExchange exchange, Decision decision, string key, IPEndPoint endpoint)
    {
        var connection = pool.TryTake(key);
        for (var attempt = 0; ; attempt++)
        {
            if (connection is null)
            {
                Socket socket;
                try
                {
                    socket = await dialer.ConnectAsync(decision, endpoint.Address, endpoint.Port, request.Context.RequestAborted);
                }
                catch (OperationCanceledException) when (request.Context.RequestAborted.IsCancellationRequested)
                {
                    // The client left while we dialled: its exchange ends as client-closed, with no answer to write.
                    exchange.ErrorType = ErrorTypes.ClientClosed;
                    request.Context.Abort();
                    return;
                }

                connection = new LeanConnection(socket, endpoint, time.GetTimestamp());
            }

            var progress = new LeanProgress();
            try
            {
                if (await LeanExchange.RunAsync(request, connection, progress))
                {
                    pool.Return(key, connection);
                }
                else
                {
                    await connection.DisposeAsync();
                }

                return;
            }
            catch (Exception ex) when (attempt == 0 && connection.Reused && !progress.ResponseStarted && !HasBody(request.Context.Request)
                && Idempotent(request.Context.Request.Method) && ex is IOException or System.Net.Sockets.SocketException or UpstreamClosedException)
            {
                // The server closed the idle connection as we wrote on it: once more on a new one.
                LogStaleRetry(logger, endpoint, ex.GetType().Name);
                await connection.DisposeAsync();
                connection = null;
            }
            catch (Exception ex)
            {
                await connection.DisposeAsync();
                await FailAsync(request, exchange, decision, ex);
                return;
            }
        }
    }

    /// <summary>An exchange that failed after its connection existed: a 502/504 that says why, or an abort once the response has started.</summary>
    private async Task FailAsync(LeanRequest request, ProxyExchange exchange, Decision decision, Exception ex)
    {
        var context = request.Context;
        var timeout = request.Timer.TimedOut || request.BodyTimer?.TimedOut == true;
        exchange.ErrorType = timeout ? ErrorTypes.UpstreamTimeout
            : context.RequestAborted.IsCancellationRequested ? ErrorTypes.ClientClosed
            : ErrorTypes.UpstreamFailed;
        LogFailed(logger, exchange.Dialed, exchange.ErrorType, ex.Message);
        if (context.Response.HasStarted || exchange.ErrorType == ErrorTypes.ClientClosed)
        {
            context.Abort();
            return;
        }

        var message = timeout ? $"no answer within {upstreamTimeout.TotalSeconds:0.#} s"
            : ex is UpstreamProtocolException or UpstreamClosedException ? ex.Message
            : "the upstream connection failed: " + ex.Message;
        context.Response.Body = request.ResponseBody;
        await writer.RespondAsync(context, exchange, ProxyResponse.ForUpstreamFailure(decision, context.Request.Method, exchange.ErrorType, message, exchange.TraceId, timeout));
    }

    /// <summary>
    /// A request with a body is never retried: the first attempt's body task may still be reading
    /// it (a count of 0 read so far does not mean none will be), and two readers would split it.
    /// </summary>
    private static bool HasBody(HttpRequest request) => request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;

    private static bool Idempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Debug, Message = "Pooled upstream connection to {Endpoint} was closed by the server ({Failure}); retrying once on a new connection")]
    private static partial void LogStaleRetry(ILogger logger, IPEndPoint endpoint, string failure);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Debug, Message = "Forwarding to {Endpoint} failed ({ErrorType}): {Detail}")]
    private static partial void LogFailed(ILogger logger, IPEndPoint? endpoint, string errorType, string detail);
}
