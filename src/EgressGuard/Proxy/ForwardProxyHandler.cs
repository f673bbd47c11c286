using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EgressGuard.Addressing;
using EgressGuard.Clients;
using EgressGuard.Dialing;
using EgressGuard.Identity;
using EgressGuard.Policy;
using EgressGuard.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace EgressGuard.Proxy;

/// <summary>
/// The HTTP pipeline's only handler. Absolute-form <c>http://</c> requests are forwarded:
/// 1. parse the authority and raw path from the request target as the client wrote it;
/// 2. decide (same policy as CONNECT); not allowed → the decision's response, nothing dialled;
/// 3. forward through YARP to <c>http://approved-ip:port</c> with the original Host; a connect
///    failure (no byte sent yet) is retried on the next approved address;
/// 4. write one decision log line.
/// Origin-form requests are the proxy's own endpoints (<c>/healthz</c>) or get a 400 that says how
/// to use a proxy; <c>https://</c> absolute-form gets a 400 pointing at CONNECT.
/// </summary>
internal sealed partial class ForwardProxyHandler
{
    private const string AmbiguousFraming = "Content-Length together with Transfer-Encoding is ambiguous framing; send one of them";

    private readonly EgressPolicy _policy;
    private readonly IHttpForwarder _forwarder;
    private readonly UpstreamHttpClient _client;
    private readonly DecisionLog _log;
    private readonly TimeProvider _timeProvider;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ProxyAuthenticator _auth;
    private readonly ProxyTelemetry _telemetry;
    private readonly BlockPage _blockPage;
    private readonly PacFile _pac;
    private readonly Alerts.AlertService _alerts;
    private readonly History.HistoryService _history;
    private readonly IPolicySource _policySource;

    public ForwardProxyHandler(IPolicySource policySource, History.HistoryService history, Alerts.AlertService alerts, PacFile pac, BlockPage blockPage, ProxyTelemetry telemetry, ProxyAuthenticator auth, EgressPolicy policy, IHttpForwarder forwarder, UpstreamHttpClient client, DecisionLog log, TimeProvider timeProvider, IOptions<ProxyOptions> options)
    {
        _policySource = policySource;
        _blockPage = blockPage;
        _pac = pac;
        _alerts = alerts;
        _history = history;
        _auth = auth;
        _telemetry = telemetry;
        _policy = policy;
        _forwarder = forwarder;
        _client = client;
        _log = log;
        _timeProvider = timeProvider;
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = options.Value.UpstreamTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    public Task InvokeAsync(HttpContext context)
    {
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (rawTarget.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0 || rawTarget.Contains('\x7f', StringComparison.Ordinal))
        {
            // Kestrel lets a raw TAB through; no request target carries control characters.
            return RefuseTargetAsync(context, rawTarget);
        }

        if (context.Features.Get<Interception.InterceptedTunnel>() is { } tunnel)
        {
            return InterceptedAsync(context, tunnel, rawTarget);
        }

        if (HttpMethods.IsTrace(context.Request.Method))
        {
            // TRACE echoes the request, credentials included, to whoever can read the response.
            return WriteAsync(context, ProxyResponse.ForProtocolError(405, "TRACE is not proxied", ActivityTraceId.CreateRandom()));
        }

        if (rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return ForwardAsync(context, rawTarget);
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

        if (_pac.Serves(context.Request))
        {
            return _pac.WriteAsync(context);
        }

        return WriteAsync(context, ProxyResponse.ForProtocolError(
            400,
            "this is an HTTP proxy, not a web server: configure it as your proxy (for example curl -x http://HOST:PORT http://example.com/ or HTTP_PROXY/HTTPS_PROXY)",
            ActivityTraceId.CreateRandom()));
    }

    private Task RefuseTargetAsync(HttpContext context, string rawTarget)
    {
        var exchange = NewExchange(context, ActivityTraceId.CreateRandom());
        exchange.RawTarget = ConnectHeadParser.Printable(rawTarget);
        var message = rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? "https:// URLs go through a CONNECT tunnel: configure the proxy for HTTPS too (HTTPS_PROXY, curl -x)"
                : $"unsupported request target '{exchange.RawTarget}': only http:// absolute-form and CONNECT are proxied";
        var response = ProxyResponse.ForProtocolError(400, message, exchange.TraceId);
        exchange.Status = 400;
        exchange.Duration = _timeProvider.GetElapsedTime(exchange.StartTimestamp);
        _log.Write(exchange);
        return WriteAsync(context, response);
    }

    private async Task ForwardAsync(HttpContext context, string rawTarget)
    {
        var traceParent = context.Request.Headers.TraceParent;
        var (activity, traceId) = _telemetry.Start(context.Request.Method, traceParent.Count > 0 ? traceParent.ToString() : null);
        var exchange = NewExchange(context, traceId);
        exchange.UserAgent = context.Request.Headers.UserAgent.Count > 0 ? context.Request.Headers.UserAgent.ToString() : null;
        try
        {
            // 0. Who asks (trusted range checked by the gate; authentication when configured).
            var header = context.Request.Headers.ProxyAuthorization;
            var (admission, identity) = _auth.Admit(
                context.Connection.RemoteIpAddress,
                header.Count > 0 ? header.ToString() : null,
                ClientCertificates.Identity(context.Connection.RemoteIpAddress, context.Connection.ClientCertificate),
                context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items);
            exchange.Identity = identity;
            if (admission != AdmissionResult.Admitted)
            {
                exchange.RawTarget = ConnectHeadParser.Printable(rawTarget);
                exchange.ErrorType = admission == AdmissionResult.Throttled ? DecisionReasons.AuthThrottled : DecisionReasons.AuthRequired;
                await RespondAsync(context, exchange, ProxyResponse.ForAdmission(admission, _auth.Challenge, traceId));
                return;
            }

            // 1. Parse.
            var error = "empty host";
            if (!TrySplit(rawTarget, out var authority, out var pathAndQuery)
                || !TargetParser.TryParseAuthority(authority, 80, out var target, out error))
            {
                exchange.RawTarget = ConnectHeadParser.Printable(rawTarget);
                exchange.Decision = Decision.BadRequest($"invalid request target '{exchange.RawTarget}': {error}");
                await RespondAsync(context, exchange, ProxyResponse.ForDecision(exchange.Decision, context.Request.Method, traceId));
                return;
            }

            exchange.Path = RequestPath.PathOf(pathAndQuery);
            exchange.Scheme = "http";
            ProxyTelemetry.Name(activity, context.Request.Method, target);

            // Request smuggling: Kestrel accepts Content-Length with Transfer-Encoding, reads the body
            // as chunked and keeps the dropped length as X-Content-Length. Ambiguous framing is
            // refused, never forwarded.
            if (context.Request.Headers.ContainsKey("X-Content-Length"))
            {
                exchange.Decision = Decision.BadRequest(AmbiguousFraming, target);
                context.Response.Headers.Connection = "close";
                await RespondAsync(context, exchange, ProxyResponse.ForDecision(exchange.Decision, context.Request.Method, traceId));
                return;
            }

            // 2. Decide.
            var decideStart = _timeProvider.GetTimestamp();
            var decision = await _policy.DecideAsync(target, exchange.Identity, context.RequestAborted);
            _telemetry.Metrics.DecisionTime(_timeProvider.GetElapsedTime(decideStart));
            exchange.Decision = decision;
            if (!decision.IsAllowed)
            {
                await RefuseDeniedAsync(context, exchange, decision, activity);
                return;
            }

            // 2b. Path rules, now that the path is known.
            decision = await DecidePathAsync(context, exchange, decision, activity);
            if (decision.IsAllowed)
            {
                // 3. Forward.
                await ForwardAllowedAsync(context, exchange, decision, target, pathAndQuery, "http", _client.Invoker);
            }
        }
        finally
        {
            Complete(exchange, activity);
        }
    }

    /// <summary>
    /// The path rules' say on a request whose connection is allowed (plain http, or inside an
    /// intercepted tunnel), on the widest reading of its path (<see cref="RequestPath"/>). A path
    /// servers would read differently is a 400, a deny the decision's refusal; both are answered
    /// here and come back as not allowed. No path rule: the connection's decision as is.
    /// </summary>
    private async Task<Decision> DecidePathAsync(HttpContext context, ProxyExchange exchange, Decision connection, Activity? activity)
    {
        var snapshot = _policySource.Current;
        if (!snapshot.Rules.HasPathRules)
        {
            return connection;
        }

        if (!RequestPath.TryCanonicalize(exchange.Path ?? "/", out var canonical, out var pathError))
        {
            exchange.Decision = Decision.BadRequest($"request path refused: {pathError}", connection.Target);
            await RespondAsync(context, exchange, ProxyResponse.ForDecision(exchange.Decision, context.Request.Method, exchange.TraceId));
            return exchange.Decision;
        }

        var decision = UrlPolicy.Decide(snapshot, connection, connection.Approved, canonical, exchange.Identity, _timeProvider.GetUtcNow());
        exchange.Decision = decision;
        if (!decision.IsAllowed)
        {
            await RefuseDeniedAsync(context, exchange, decision, activity);
        }

        return decision;
    }

    /// <summary>A policy deny: alert (and perhaps quarantine) before the client hears the 403, so its next attempt sees it.</summary>
    private Task RefuseDeniedAsync(HttpContext context, ProxyExchange exchange, Decision decision, Activity? activity)
    {
        _alerts.Observe(exchange, activity);
        return RespondAsync(context, exchange, ProxyResponse.ForDecision(decision, context.Request.Method, exchange.TraceId));
    }

    /// <summary>The request's one decision line, history record and span end.</summary>
    private void Complete(ProxyExchange exchange, Activity? activity)
    {
        exchange.Duration = _timeProvider.GetElapsedTime(exchange.StartTimestamp);
        _log.Write(exchange);
        _history.Record(exchange);
        _telemetry.Finish(activity, exchange);
    }

    private async Task ForwardAllowedAsync(HttpContext context, ProxyExchange exchange, Decision decision, Target target, string pathAndQuery, string scheme, HttpMessageInvoker invoker)
    {
        var defaultPort = scheme == "https" ? 443 : 80;
        var state = new ForwardState { Decision = decision, HostHeader = target.Authority(defaultPort) };
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
            var error = await _forwarder.SendAsync(context, $"{scheme}://{endpoint}", invoker, _requestConfig, ForwardTransformer.Instance);
            exchange.Dialed = endpoint;
            if (error == ForwarderError.None)
            {
                dialFailure = null;
                break;
            }

            var errorFeature = context.Features.Get<IForwarderErrorFeature>();
            dialFailure = FindDialException(errorFeature?.Exception);
            if (FindException<System.Security.Authentication.AuthenticationException>(errorFeature?.Exception) is { } tlsFailure)
            {
                // The upstream's certificate did not validate (or its TLS failed): a 502 that says so, never a silent accept.
                exchange.ErrorType = "upstream-tls";
                if (!context.Response.HasStarted)
                {
                    context.Features.Set<IForwarderErrorFeature>(null);
                    await RespondAsync(context, exchange, ProxyResponse.ForUpstreamFailure(
                        decision, context.Request.Method, "upstream-tls", "the upstream server's TLS certificate was refused: " + tlsFailure.Message, exchange.TraceId, timeout: false));
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
        }

        if (dialFailure is not null && !context.Response.HasStarted)
        {
            exchange.ErrorType = dialFailure.ErrorType;
            exchange.Dialed = null;
            context.Response.Body = responseBody;
            await RespondAsync(context, exchange, ProxyResponse.ForUpstreamFailure(
                decision, context.Request.Method, dialFailure.ErrorType, dialFailure.Message, exchange.TraceId, dialFailure.Failure == DialFailure.Timeout));
        }

        exchange.Status = context.Response.StatusCode;
        exchange.BytesUp = requestBody.Count;
        exchange.BytesDown = responseBody.Count;
    }

    private static string ErrorTypeFor(ForwarderError error, Exception? exception) =>
        exception is OperationCanceledException or TimeoutException ? "upstream-timeout" : error switch
        {
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => "client-closed",
            ForwarderError.RequestTimedOut => "upstream-timeout",
            ForwarderError.ResponseBodyDestination or ForwarderError.RequestBodyClient => "client-closed",
            _ => "upstream-failed",
        };

    private static T? FindException<T>(Exception? exception)
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

    private static DialException? FindDialException(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DialException dial)
            {
                return dial;
            }
        }

        return null;
    }

    private ProxyExchange NewExchange(HttpContext context, ActivityTraceId traceId)
    {
        var remote = context.Connection.RemoteIpAddress;
        return new ProxyExchange
        {
            Time = _timeProvider.GetUtcNow(),
            StartTimestamp = _timeProvider.GetTimestamp(),
            Method = context.Request.Method,
            Client = remote is null ? null : new IPEndPoint(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote, context.Connection.RemotePort),
            TraceId = traceId,
        };
    }

    private async Task RespondAsync(HttpContext context, ProxyExchange exchange, ProxyResponse response)
    {
        exchange.Status = response.Status;
        if (response.Decision is { Action: DecisionAction.Deny, Target: { } target } decision && !context.Response.HasStarted && _blockPage.Wants(context.Request))
        {
            // A browser: the same decision as a page a person can read; headers and reference unchanged.
            context.Response.Clear();
            context.Response.StatusCode = response.Status;
            foreach (var (name, value) in response.Headers)
            {
                context.Response.Headers[name] = value;
            }

            var url = exchange.Scheme == "https" ? $"https://{target.Authority(443)}{exchange.Path}" : $"http://{target.Authority(80)}{exchange.Path}";
            await BlockPage.WriteAsync(context.Response, _blockPage.Render(decision, context.Request.Method, url, exchange.TraceId));
            return;
        }

        await WriteAsync(context, response);
    }

    private static Task WriteAsync(HttpContext context, ProxyResponse response)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        var body = System.Text.Encoding.UTF8.GetBytes(response.Body);
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>Splits <c>http://authority/path?query#fragment</c>; the fragment is dropped, an empty path becomes "/".</summary>
    internal static bool TrySplit(string rawTarget, out string authority, out string pathAndQuery)
    {
        var rest = rawTarget.AsSpan("http://".Length);
        var fragment = rest.IndexOf('#');
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        var end = rest.IndexOfAny('/', '?');
        authority = (end < 0 ? rest : rest[..end]).ToString();
        var tail = end < 0 ? ReadOnlySpan<char>.Empty : rest[end..];
        pathAndQuery = tail.IsEmpty ? "/" : tail[0] == '?' ? "/" + tail.ToString() : tail.ToString();
        return authority.Length > 0;
    }
}
