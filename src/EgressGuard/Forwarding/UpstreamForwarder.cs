using EgressGuard.Dialing;
using EgressGuard.Exchange;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace EgressGuard.Forwarding;

/// <summary>
/// Sends an allowed request through YARP to <c>scheme://approved-ip:port</c> with the original
/// Host, one approved address after the other while nothing has been sent (a connect failure),
/// and records what happened: the address used, the status, bytes each way, the error type.
/// </summary>
internal sealed class UpstreamForwarder
{
    private readonly IHttpForwarder _forwarder;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ProxyResponseWriter _writer;
    private readonly ViaHeader _via;
    private readonly Dialer _dialer;

    public UpstreamForwarder(IHttpForwarder forwarder, ProxyResponseWriter writer, ViaHeader via, Dialer dialer, TimeSpan upstreamTimeout)
    {
        _dialer = dialer;
        _via = via;
        _forwarder = forwarder;
        _writer = writer;
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = upstreamTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    public async Task ForwardAsync(HttpContext context, ProxyExchange exchange, Decision decision, Addressing.Target target, string pathAndQuery, string scheme, HttpMessageInvoker invoker)
    {
        var defaultPort = scheme == "https" ? 443 : 80;
        var state = new ForwardState { Decision = decision, HostHeader = target.Authority(defaultPort), Via = _via.Value };
        context.Features.Set(state);
        var requestBody = new CountingStream(context.Request.Body);
        var responseBody = new CountingStream(context.Response.Body);
        context.Request.Body = requestBody;
        context.Response.Body = responseBody;

        DialException? dialFailure = null;
        foreach (var address in decision.Approved)
        {
            var endpoint = new IPEndPoint(address, target.Port);
            state.Destination = new Uri($"{scheme}://{endpoint}{pathAndQuery}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            // Set before sending: an upgraded request is re-checked against this address while YARP pipes it.
            exchange.Dialed = endpoint;
            exchange.Upstream = _dialer.RouteName(decision, address); // the ConnectCallback's dial takes the same route
            var error = await _forwarder.SendAsync(context, $"{scheme}://{endpoint}", invoker, _requestConfig, ForwardTransformer.Instance);
            if (error == ForwarderError.None)
            {
                dialFailure = null;
                break;
            }

            var errorFeature = context.Features.Get<IForwarderErrorFeature>();
            dialFailure = Find<DialException>(errorFeature?.Exception);
            if (Find<System.Security.Authentication.AuthenticationException>(errorFeature?.Exception) is { } tlsFailure)
            {
                // The upstream's certificate did not validate (or its TLS failed): a 502 that says so, never a silent accept.
                exchange.ErrorType = ErrorTypes.UpstreamTls;
                if (!context.Response.HasStarted)
                {
                    context.Features.Set<IForwarderErrorFeature>(null);
                    await _writer.RespondAsync(context, exchange, ProxyResponse.ForUpstreamFailure(
                        decision, context.Request.Method, ErrorTypes.UpstreamTls, "the upstream server's TLS certificate was refused: " + tlsFailure.Message, exchange.TraceId, timeout: false));
                }

                dialFailure = null;
                break;
            }

            if (dialFailure is null || context.Response.HasStarted || requestBody.Count > 0)
            {
                // Failed after the connection existed: YARP has answered 502/504 or aborted.
                exchange.ErrorType = ErrorTypeFor(error, errorFeature?.Exception);
                break;
            }

            // Nothing was sent on this address: reset what YARP prepared and try the next one.
            exchange.Dialed = null;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
            if (dialFailure.Failure == DialFailure.ParentUnreachable)
            {
                break; // the same parent for every address: the next one would only wait again
            }
        }

        if (dialFailure is not null && !context.Response.HasStarted)
        {
            exchange.ErrorType = dialFailure.ErrorType;
            exchange.Dialed = null;
            context.Response.Body = responseBody;
            await _writer.RespondAsync(context, exchange, ProxyResponse.ForUpstreamFailure(
                decision, context.Request.Method, dialFailure.ErrorType, dialFailure.Message, exchange.TraceId, dialFailure.Failure == DialFailure.Timeout));
        }

        exchange.Status = context.Response.StatusCode;
        exchange.BytesUp = requestBody.Count;
        exchange.BytesDown = responseBody.Count;
    }

    private static string ErrorTypeFor(ForwarderError error, Exception? exception) =>
        exception is OperationCanceledException or TimeoutException ? ErrorTypes.UpstreamTimeout : error switch
        {
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => ErrorTypes.ClientClosed,
            ForwarderError.RequestTimedOut => ErrorTypes.UpstreamTimeout,
            ForwarderError.ResponseBodyDestination or ForwarderError.RequestBodyClient => ErrorTypes.ClientClosed,
            _ => ErrorTypes.UpstreamFailed,
        };

    /// <summary>The first exception of type <typeparamref name="T"/> in the chain of inner exceptions.</summary>
    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
