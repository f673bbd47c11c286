using EgressGuard.Dialing;
using EgressGuard.Exchange;
using EgressGuard.Tunnels;

namespace EgressGuard.Proxy;

/// <summary>
/// One CONNECT, from its head to its end, whatever carries the client (the exchange pipeline of
/// ARCHITECTURE.md, CONNECT column):
/// 1. head: read (size cap, timeout) and parse strictly; bad → 400/408;
/// 2. admission: proxy authentication or client certificate (<see cref="Admission"/>); refused → 407/429;
/// 3. decide against one snapshot (<see cref="DecideStep"/>), refusing a blind tunnel past path rules
///    (<see cref="InterceptionStep.RefuseBlind"/>); deny → 403, DNS failure → 502/504; nothing dialled;
/// 4. dial an approved address through the <see cref="Dialer"/> (directly or through the parent
///    proxy, <c>Upstream:Proxy</c>); failure → 502/504 (<c>parent-refused</c>/<c>parent-unreachable</c>: 502);
/// 5. answer 200; on inspected ports read the ClientHello (<see cref="ClientHelloInspection"/>) and
///    choose interception (<see cref="InterceptionStep"/>);
/// 6. relay (<see cref="TunnelRunner"/>);
/// 7. complete: the same tail as every exchange (<see cref="ExchangeCompletion"/>).
/// </summary>
internal sealed class ConnectSession : IDisposable
{
    private static readonly byte[] Established = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();

    private readonly ExchangeFactory _exchanges;
    private readonly Admission _admission;
    private readonly DecideStep _decide;
    private readonly Dialer _dialer;
    private readonly ClientHelloInspection _hello;
    private readonly InterceptionStep _interception;
    private readonly TunnelRunner _tunnels;
    private readonly ExchangeCompletion _completion;
    private readonly ProxyTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ProxyOptions _options;
    private readonly SpliceGrowth? _splice;

    public ConnectSession(ExchangeFactory exchanges, Admission admission, DecideStep decide, Dialer dialer, ClientHelloInspection hello, InterceptionStep interception, TunnelRunner tunnels, ExchangeCompletion completion, ProxyTelemetry telemetry, TimeProvider time, IOptions<ProxyOptions> options)
    {
        _exchanges = exchanges;
        _admission = admission;
        _decide = decide;
        _dialer = dialer;
        _hello = hello;
        _interception = interception;
        _tunnels = tunnels;
        _completion = completion;
        _telemetry = telemetry;
        _time = time;
        _options = options.Value;
        _splice = _options.Splice ? new SpliceGrowth(_options.SplicePipeSize, _options.SplicePipeBudget) : null;
    }

    public bool IsTrusted(IPAddress? address) => _admission.IsTrusted(address);

    /// <summary>Closes the idle grown splice pipes.</summary>
    public void Dispose() => _splice?.Dispose();

    /// <summary>Refuses a client outside the trusted ranges before anything is parsed, and records it.</summary>
    public Task RefuseUntrustedAsync(IConnectClient client) =>
        RefuseAtOnceAsync(client, "untrusted client", _admission.Untrusted);

    /// <summary>Refuses a connection over the connection caps (503), and records it.</summary>
    public Task RefuseOverLimitAsync(IConnectClient client) =>
        RefuseAtOnceAsync(client, "over limit", exchange =>
        {
            exchange.ErrorType = DecisionReasons.TooManyConnections;
            return ProxyResponse.ForProtocolError(503, "too many open connections; try again shortly", exchange.TraceId, DecisionReasons.TooManyConnections);
        });

    public async Task RunAsync(IConnectClient client)
    {
        Activity? activity = null;
        var exchange = _exchanges.Create(client.Remote, "CONNECT", ActivityTraceId.CreateRandom());
        Socket? upstream = null;
        try
        {
            // 1. The head.
            if (await ReadHeadAsync(client, exchange) is not { } head)
            {
                return;
            }

            exchange.UserAgent = head.UserAgent;
            (activity, var spanTraceId) = _telemetry.Start("CONNECT", head.TraceParent);
            if (activity is not null)
            {
                exchange.TraceId = spanTraceId;
            }

            ProxyTelemetry.Name(activity, "CONNECT", head.Target);

            // 2. Admission.
            if (await _admission.AdmitAsync(exchange, head.ProxyAuthorization, client.ClientCertificate) is { } refusal)
            {
                exchange.RawTarget = head.RawTarget;
                await RefuseAsync(client, exchange, refusal);
                return;
            }

            // 3. Decide. Not tied to the client's FIN (a client may send head, first bytes and FIN at
            //    once); DNS and connect are bounded by their own timeouts.
            var snapshot = _decide.Capture();
            var decision = await _decide.DecideAsync(exchange, activity, snapshot, head.Target, CancellationToken.None);
            if (_interception.RefuseBlind(snapshot, decision, exchange.Identity) is var blind && blind != decision)
            {
                _decide.Record(exchange, activity, decision = blind); // path rules a blind tunnel would bypass
            }

            if (!decision.IsAllowed)
            {
                await RefuseAsync(client, exchange, ProxyResponse.ForDecision(decision, "CONNECT", exchange.TraceId));
                return;
            }

            // 4. Dial.
            IPEndPoint endpoint;
            long dialedAt;
            try
            {
                (upstream, endpoint) = await _dialer.ConnectAsync(decision, CancellationToken.None);
                dialedAt = _time.GetTimestamp();
            }
            catch (DialException ex)
            {
                exchange.Upstream = _dialer.RouteName(decision, decision.Approved[0]);
                exchange.ErrorType = ex.ErrorType;
                await RefuseAsync(client, exchange, ProxyResponse.ForUpstreamFailure(decision, "CONNECT", ex.ErrorType, ex.Message, exchange.TraceId, ex.Failure == DialFailure.Timeout));
                return;
            }

            exchange.Dialed = endpoint;
            exchange.Upstream = _dialer.RouteName(decision, endpoint.Address);
            exchange.Status = 200;

            // 5. Established; on TLS ports, the ClientHello and the interception choice.
            await client.WriteAsync(Established);
            ITunnelPump? intercepting = null;
            if (_hello.Inspects(head.Target.Port))
            {
                var refused = await _hello.InspectAsync(client, exchange, activity, snapshot, head.Target);
                if (refused is null && _interception.Considers(head.Target.Port))
                {
                    intercepting = _interception.TryIntercept(client, exchange, snapshot, head.Target, upstream, endpoint, dialedAt, activity, out refused);
                }

                if (refused is not null)
                {
                    exchange.ErrorType = refused;
                    await client.CloseAsync();
                    return;
                }

                if (intercepting is not null)
                {
                    upstream = null; // the pump owns it now
                }
            }

            // 6. Relay.
            using var pump = intercepting ?? client.CreatePump(upstream!, _options.IdleTimeout, _splice, _time);
            await _tunnels.RunAsync(exchange, pump, snapshot);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            exchange.ErrorType ??= ErrorTypes.ClientClosed;
        }
        finally
        {
            // 7. Complete.
            upstream?.Dispose();
            activity ??= _telemetry.Start("CONNECT").Activity;
            _completion.Complete(activity, exchange);
        }
    }

    /// <summary>The parsed head, or null when it was refused (answered 400/408, or closed when nothing arrived).</summary>
    private async Task<ConnectHead?> ReadHeadAsync(IConnectClient client, ProxyExchange exchange)
    {
        using var headTimeout = new CancellationTokenSource(_options.HeadTimeout, _time);
        var read = await client.ReadHeadAsync(_options.MaxHeadBytes, headTimeout.Token);
        if (read.Status == HeadParseStatus.Complete)
        {
            return read.Head!;
        }

        exchange.RawTarget = read.RequestLine;
        if (read.TimedOut && read.RequestLine is null)
        {
            return null; // nothing arrived: close without a word, as Kestrel does
        }

        var response = read.TimedOut
            ? ProxyResponse.ForProtocolError(408, $"CONNECT head not complete within {_options.HeadTimeout.TotalSeconds:0.#} s", exchange.TraceId)
            : ProxyResponse.ForProtocolError(400, read.Closed ? "connection closed before the end of the CONNECT head" : read.Error, exchange.TraceId);
        await RefuseAsync(client, exchange, response);
        return null;
    }

    private async Task RefuseAtOnceAsync(IConnectClient client, string spanName, Func<ProxyExchange, ProxyResponse> refusal)
    {
        var (activity, traceId) = _telemetry.Start(spanName);
        var exchange = _exchanges.Create(client.Remote, "-", traceId);
        await RefuseAsync(client, exchange, refusal(exchange));
        _completion.CompleteRefusal(activity, exchange);
    }

    private static async Task RefuseAsync(IConnectClient client, ProxyExchange exchange, ProxyResponse response)
    {
        exchange.Status = response.Status;
        try
        {
            await client.WriteAsync(response.ToHttp11Bytes());
            await client.CloseAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            exchange.ErrorType ??= ErrorTypes.ClientClosed;
        }
    }
}
