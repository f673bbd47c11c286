using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EgressGuard.Addressing;
using EgressGuard.Dialing;
using EgressGuard.Identity;
using EgressGuard.Policy;
using EgressGuard.Telemetry;
using Microsoft.Extensions.Options;

namespace EgressGuard.Proxy;

/// <summary>
/// One CONNECT, from its head to its end, whatever carries the client:
/// 1. read the head (size cap, timeout) and parse it strictly; bad → 400/408;
/// 2. identity: proxy authentication or client certificate; refused → 407/429;
/// 3. decide: resolve and check every name and address; deny → 403, DNS failure → 502/504; nothing dialled;
/// 4. dial an approved address through the <see cref="Dialer"/>; failure → 502/504;
/// 5. answer 200 and pump bytes both ways (bytes sent after the head go first), registered so that
///    a policy change can close it;
/// 6. write one decision log line, end the span.
/// </summary>
internal sealed class ConnectSession
{
    private static readonly byte[] Established = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();

    private readonly Alerts.AlertService _alerts;
    private readonly History.HistoryService _history;
    private readonly TlsOptions _tls;
    private readonly Interception.TlsInterceptor _interceptor;
    private readonly Quarantine.QuarantineStore _quarantine;

    /// <summary>A ClientHello is read up to this size (a 16 KiB hello in as many records as carry it).</summary>
    private const int MaxClientHello = Tls.SniInspection.MaxReadBytes;
    private readonly EgressPolicy _policy;
    private readonly IPolicySource _policySource;
    private readonly ProxyAuthenticator _auth;
    private readonly Dialer _dialer;
    private readonly DecisionLog _log;
    private readonly TunnelRegistry _tunnels;
    private readonly ProxyTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ProxyOptions _options;

    public ConnectSession(Interception.TlsInterceptor interceptor, Quarantine.QuarantineStore quarantine, TlsOptions tls, History.HistoryService history, Alerts.AlertService alerts, EgressPolicy policy, IPolicySource policySource, ProxyAuthenticator auth, Dialer dialer, DecisionLog log, TunnelRegistry tunnels, ProxyTelemetry telemetry, TimeProvider time, IOptions<ProxyOptions> options)
    {
        _interceptor = interceptor;
        _quarantine = quarantine;
        _tls = tls;
        _history = history;
        _alerts = alerts;
        _policy = policy;
        _policySource = policySource;
        _auth = auth;
        _dialer = dialer;
        _log = log;
        _tunnels = tunnels;
        _telemetry = telemetry;
        _time = time;
        _options = options.Value;
    }

    public bool IsTrusted(IPAddress? address) => _auth.IsTrusted(address);

    /// <summary>Refuses a client outside the trusted ranges before anything is parsed, and logs it.</summary>
    public async Task RefuseUntrustedAsync(IConnectClient client)
    {
        var (activity, traceId) = _telemetry.Start("untrusted client");
        var exchange = NewExchange(client, "-", traceId);
        exchange.ErrorType = DecisionReasons.UntrustedClient;
        await RefuseAsync(client, exchange, ProxyResponse.ForAdmission(AdmissionResult.UntrustedClient, _auth.Challenge, traceId));
        Finish(activity, exchange);
    }

    /// <summary>Refuses a connection over the connection caps (503), and logs it.</summary>
    public async Task RefuseOverLimitAsync(IConnectClient client)
    {
        var (activity, traceId) = _telemetry.Start("over limit");
        var exchange = NewExchange(client, "-", traceId);
        exchange.ErrorType = DecisionReasons.TooManyConnections;
        await RefuseAsync(client, exchange, ProxyResponse.ForProtocolError(503, "too many open connections; try again shortly", traceId, DecisionReasons.TooManyConnections));
        Finish(activity, exchange);
    }

    public async Task RunAsync(IConnectClient client)
    {
        Activity? activity = null;
        var traceId = ActivityTraceId.CreateRandom();
        var exchange = NewExchange(client, "CONNECT", traceId);
        Socket? upstream = null;
        try
        {
            // 1. The head.
            using var headTimeout = new CancellationTokenSource(_options.HeadTimeout, _time);
            var read = await client.ReadHeadAsync(_options.MaxHeadBytes, headTimeout.Token);
            if (read.Status != HeadParseStatus.Complete)
            {
                exchange.RawTarget = read.RequestLine;
                if (read.TimedOut && read.RequestLine is null)
                {
                    return; // nothing arrived: close without a word, as Kestrel does
                }

                var response = read.TimedOut
                    ? ProxyResponse.ForProtocolError(408, $"CONNECT head not complete within {_options.HeadTimeout.TotalSeconds:0.#} s", traceId)
                    : ProxyResponse.ForProtocolError(400, read.Closed ? "connection closed before the end of the CONNECT head" : read.Error, traceId);
                await RefuseAsync(client, exchange, response);
                return;
            }

            var head = read.Head!;
            exchange.UserAgent = head.UserAgent;
            (activity, var spanTraceId) = _telemetry.Start("CONNECT", head.TraceParent);
            if (activity is not null)
            {
                exchange.TraceId = traceId = spanTraceId;
            }

            ProxyTelemetry.Name(activity, "CONNECT", head.Target);

            // 2. Identity.
            var (admission, identity) = _auth.Admit(exchange.Client?.Address, head.ProxyAuthorization, ClientCertificates.Identity(exchange.Client?.Address, client.ClientCertificate));
            exchange.Identity = identity;
            if (admission != AdmissionResult.Admitted)
            {
                exchange.RawTarget = head.RawTarget;
                exchange.ErrorType = admission == AdmissionResult.Throttled ? DecisionReasons.AuthThrottled : DecisionReasons.AuthRequired;
                await RefuseAsync(client, exchange, ProxyResponse.ForAdmission(admission, _auth.Challenge, traceId));
                return;
            }

            // 3. Decide. Not tied to the client's FIN (a client may send head, first bytes and FIN at
            //    once); DNS and connect are bounded by their own timeouts.
            var policyVersion = _policySource.Current.Version;
            var decideStart = _time.GetTimestamp();
            var decision = await _policy.DecideAsync(head.Target, exchange.Identity, CancellationToken.None);
            _telemetry.Metrics.DecisionTime(_time.GetElapsedTime(decideStart));
            exchange.Decision = decision;
            if (!decision.IsAllowed)
            {
                // Alert (and perhaps quarantine) before the client hears the 403: its next attempt sees it.
                _alerts.Observe(exchange, activity);
                await RefuseAsync(client, exchange, ProxyResponse.ForDecision(decision, "CONNECT", traceId));
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
                exchange.ErrorType = ex.ErrorType;
                await RefuseAsync(client, exchange, ProxyResponse.ForUpstreamFailure(decision, "CONNECT", ex.ErrorType, ex.Message, traceId, ex.Failure == DialFailure.Timeout));
                return;
            }

            exchange.Dialed = endpoint;
            exchange.Status = 200;

            // 5. Established; on TLS ports, read the ClientHello (not consumed) and check its server name.
            await client.WriteAsync(Established);
            if (_tls.Inspects(head.Target.Port) && await InspectAsync(client, exchange, head.Target, activity) is { } refused)
            {
                exchange.ErrorType = refused;
                await client.CloseAsync();
                return;
            }

            // 6. Pump, or decrypt (interception) on a TLS port when chosen.
            ITunnelPump? intercepting = null;
            if (_interceptor.Enabled && _tls.Inspects(head.Target.Port))
            {
                var choice = _interceptor.Choose(exchange, decision, exchange.TlsHello?.ServerName, endpoint);
                exchange.Interception = (choice.Intercept ? "intercepted: " : "not intercepted: ") + choice.Reason;
                if (choice.Intercept && exchange.TlsHello is null)
                {
                    // Chosen for decryption but not TLS (or silent): its requests cannot be checked, so it does not pass.
                    exchange.ErrorType = "intercept-not-tls";
                    await client.CloseAsync();
                    return;
                }

                if (choice.Intercept)
                {
                    try
                    {
                        intercepting = _interceptor.CreatePump(client, exchange, decision, head.Target, exchange.TlsHello?.ServerName, upstream, endpoint, dialedAt, activity);
                        upstream = null; // the pump owns it now
                    }
                    catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException or InvalidOperationException)
                    {
                        // No certificate for this name (an expired CA, a name no certificate can carry): closed, never passed blind.
                        exchange.ErrorType = "tls-mint-failed";
                        exchange.Interception += $" ({ex.Message})";
                        await client.CloseAsync();
                        return;
                    }
                }
            }

            using var pump = intercepting ?? client.CreatePump(upstream!, _options.IdleTimeout, _time);
            using var lifetime = _options.MaxTunnelLifetime > TimeSpan.Zero
                ? _time.CreateTimer(static p => ((ITunnelPump)p!).Close("max-lifetime"), pump, _options.MaxTunnelLifetime, Timeout.InfiniteTimeSpan)
                : null;
            var registration = _tunnels.Register(exchange, pump);
            if (_policySource.Current is { } current && current.Version != policyVersion)
            {
                // The policy changed between the decision and the registration: check again.
                _tunnels.Enforce(registration, current);
            }

            if (exchange.Client is { } source && _quarantine.TryGet(source.Address, out var quarantined) && !_quarantine.Remediation.Allows(decision))
            {
                // Quarantined while this tunnel was dialling or being inspected: the registry's sweep missed it.
                exchange.ClosedBy = decision with { Action = DecisionAction.Deny, Reason = DecisionReasons.Quarantined, Rule = "quarantine", Entry = quarantined.Address.ToString() };
                pump.Close(DecisionReasons.Quarantined);
            }

            TunnelResult tunnel;
            _telemetry.Metrics.TunnelOpened();
            try
            {
                tunnel = await pump.RunAsync();
            }
            finally
            {
                _telemetry.Metrics.TunnelClosed();
                _tunnels.Unregister(registration);
            }

            exchange.BytesUp = tunnel.BytesUp;
            exchange.BytesDown = tunnel.BytesDown;
            exchange.ErrorType ??= tunnel.ErrorType;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            exchange.ErrorType ??= "client-closed";
        }
        finally
        {
            upstream?.Dispose();
            activity ??= _telemetry.Start("CONNECT").Activity;
            Finish(activity, exchange);
        }
    }

    /// <summary>
    /// Reads the tunnel's first client bytes (bounded by size and <see cref="TlsOptions.HelloTimeout"/>)
    /// and records the ClientHello. When its server name is another host than the CONNECT's (domain
    /// fronting), that name is decided too; returns the error type when the tunnel must not open.
    /// </summary>
    private async Task<string?> InspectAsync(IConnectClient client, ProxyExchange exchange, Target connect, Activity? activity)
    {
        using var timeout = new CancellationTokenSource(_tls.HelloTimeout, _time);
        var early = await client.ReadEarlyAsync(MaxClientHello, b => Tls.ClientHello.TryParse(b.Span, out _) != Tls.ClientHelloStatus.Incomplete, timeout.Token);
        var status = Tls.ClientHello.TryParse(early.Span, out var hello);
        exchange.TlsHello = hello;
        if (Tls.SniInspection.Judge(_tls, status, hello, early.Length, connect, exchange) is { Outcome: not Tls.SniOutcome.OtherHost } verdict)
        {
            return verdict.ErrorType;
        }

        var sni = hello!.ServerName!;

        Decision? denied;
        if (!TargetParser.TryParseAuthority($"{sni}:{connect.Port}", connect.Port, out var sniTarget, out var error))
        {
            denied = Mismatch(exchange.Decision!, sni, $"TLS server name '{Printable(sni)}' is not a valid host name ({error})");
        }
        else if (_tls.DenyMismatch)
        {
            denied = Mismatch(exchange.Decision!, sni, $"TLS server name '{sni}' differs from the CONNECT host {connect.Host} (Tls:DenyMismatch)");
        }
        else
        {
            var decision = await _policy.DecideAsync(sniTarget, exchange.Identity, CancellationToken.None);
            denied = decision.IsAllowed ? null : decision with
            {
                Target = connect,
                Detail = $"TLS server name '{sni}' (CONNECT host {connect.Host}): {decision.Detail}",
            };
        }

        if (denied is null || _tls.SniCheck != "enforce")
        {
            return null;
        }

        exchange.Decision = denied;
        _alerts.Observe(exchange, activity);
        return DecisionReasons.SniMismatch;
    }

    private static Decision Mismatch(Decision allowed, string sni, string detail) => allowed with
    {
        Action = DecisionAction.Deny,
        Reason = DecisionReasons.SniMismatch,
        Rule = "tls:sni",
        Entry = Printable(sni),
        Approved = [],
        Detail = detail,
    };

    private static string Printable(string text) => new(text.Take(253).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    private ProxyExchange NewExchange(IConnectClient client, string method, ActivityTraceId traceId) => new()
    {
        Time = _time.GetUtcNow(),
        StartTimestamp = _time.GetTimestamp(),
        Method = method,
        Client = client.Remote,
        TraceId = traceId,
    };

    private void Finish(Activity? activity, ProxyExchange exchange)
    {
        exchange.Duration = _time.GetElapsedTime(exchange.StartTimestamp);
        _log.Write(exchange);
        _history.Record(exchange);
        _telemetry.Finish(activity, exchange);
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
            exchange.ErrorType ??= "client-closed";
        }
    }

    public static IPEndPoint? Normalize(EndPoint? endpoint) =>
        endpoint is IPEndPoint ip && ip.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ip.Address.MapToIPv4(), ip.Port) : endpoint as IPEndPoint;
}
