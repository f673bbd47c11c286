using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using EgressGuard.Dialing;
using EgressGuard.Identity;
using EgressGuard.Policy;
using EgressGuard.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace EgressGuard.Proxy;

/// <summary>
/// Kestrel connection middleware that owns CONNECT, which Kestrel's HTTP/1.1 pipeline cannot
/// tunnel. For each new connection:
/// 1. peek at the first bytes; anything that is not <c>CONNECT </c> is un-read and handed to
///    Kestrel's HTTP pipeline untouched;
/// 2. read the head (size cap, timeout from connection start) and parse it strictly; bad → 400/408;
/// 3. decide: resolve and check every address; deny → 403, DNS failure → 502/504; nothing dialled;
/// 4. dial an approved address through the <see cref="Dialer"/>; failure → 502/504;
/// 5. answer 200 and pump bytes both ways (bytes the client sent after the head go first);
/// 6. write one decision log line.
/// </summary>
internal sealed partial class ConnectGate
{
    private static ReadOnlySpan<byte> ConnectPrefix => "CONNECT "u8;

    private static readonly byte[] Established = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();

    private readonly EgressPolicy _policy;
    private readonly Dialer _dialer;
    private readonly DecisionLog _log;
    private readonly TimeProvider _timeProvider;
    private readonly ProxyOptions _options;
    private readonly ILogger<ConnectGate> _logger;
    private readonly TunnelRegistry _tunnels;
    private readonly IPolicySource _policySource;
    private readonly ProxyAuthenticator _auth;
    private readonly ProxyTelemetry _telemetry;

    public ConnectGate(ProxyTelemetry telemetry, EgressPolicy policy, IPolicySource policySource, ProxyAuthenticator auth, Dialer dialer, DecisionLog log, TunnelRegistry tunnels, TimeProvider timeProvider, IOptions<ProxyOptions> options, ILogger<ConnectGate> logger)
    {
        _tunnels = tunnels;
        _policySource = policySource;
        _auth = auth;
        _telemetry = telemetry;
        _policy = policy;
        _dialer = dialer;
        _log = log;
        _timeProvider = timeProvider;
        _options = options.Value;
        _logger = logger;
    }

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        // 0. Never an open relay: an untrusted client is refused before a byte is parsed.
        var remote = Normalize(connection.RemoteEndPoint);
        if (!_auth.IsTrusted(remote?.Address))
        {
            await RefuseUntrustedAsync(connection, remote);
            return;
        }

        var input = connection.Transport.Input;
        using var headTimeout = new CancellationTokenSource(_options.HeadTimeout, _timeProvider);
        using var headCancel = CancellationTokenSource.CreateLinkedTokenSource(headTimeout.Token, connection.ConnectionClosed);

        // 1. Peek.
        ReadResult result;
        try
        {
            while (true)
            {
                result = await input.ReadAsync(headCancel.Token);
                var kind = Classify(result.Buffer);
                if (kind == PrefixKind.Other || (kind == PrefixKind.Partial && result.IsCompleted))
                {
                    input.AdvanceTo(result.Buffer.Start);
                    await next(connection);
                    return;
                }

                if (kind == PrefixKind.Connect)
                {
                    break;
                }

                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Nothing or only part of "CONNECT " arrived in time: close without a word, as Kestrel does.
            return;
        }

        await HandleConnectAsync(connection, input, result, headTimeout, headCancel.Token);
    }

    private async Task HandleConnectAsync(ConnectionContext connection, PipeReader input, ReadResult result, CancellationTokenSource headTimeout, CancellationToken headToken)
    {
        // The span starts once the head is read (it may carry a traceparent); refusals before that get their own.
        Activity? activity = null;
        var traceId = ActivityTraceId.CreateRandom();
        var exchange = new ProxyExchange
        {
            Time = _timeProvider.GetUtcNow(),
            StartTimestamp = _timeProvider.GetTimestamp(),
            Method = "CONNECT",
            Client = Normalize(connection.RemoteEndPoint),
        };
        exchange.TraceId = traceId;
        Socket? upstream = null;
        try
        {
            // 2. Read the head.
            ConnectHead? head;
            while (true)
            {
                var buffer = result.Buffer;
                var status = ConnectHeadParser.TryParse(buffer, _options.MaxHeadBytes, out head, out var end, out var error);
                if (status == HeadParseStatus.Complete)
                {
                    input.AdvanceTo(end);
                    break;
                }

                if (status == HeadParseStatus.Invalid || result.IsCompleted)
                {
                    exchange.RawTarget = ConnectHeadParser.RequestLine(buffer);
                    input.AdvanceTo(buffer.End);
                    await RefuseAsync(connection, exchange, ProxyResponse.ForProtocolError(400, result.IsCompleted && status != HeadParseStatus.Invalid ? "connection closed before the end of the CONNECT head" : error, traceId));
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                try
                {
                    result = await input.ReadAsync(headToken);
                }
                catch (OperationCanceledException) when (headTimeout.IsCancellationRequested)
                {
                    exchange.RawTarget = ConnectHeadParser.RequestLine(buffer);
                    await RefuseAsync(connection, exchange, ProxyResponse.ForProtocolError(408, $"CONNECT head not complete within {_options.HeadTimeout.TotalSeconds:0.#} s", traceId));
                    return;
                }
            }

            exchange.UserAgent = head!.UserAgent;
            (activity, var spanTraceId) = _telemetry.Start("CONNECT", head.TraceParent);
            if (activity is not null)
            {
                exchange.TraceId = traceId = spanTraceId;
            }

            ProxyTelemetry.Name(activity, "CONNECT", head.Target);

            // Identity: trusted range already checked; proxy authentication when configured.
            var certificate = connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>()?.ClientCertificate;
            var (admission, identity) = _auth.Admit(exchange.Client?.Address, head.ProxyAuthorization, ClientCertificates.Identity(exchange.Client?.Address, certificate));
            exchange.Identity = identity;
            if (admission != AdmissionResult.Admitted)
            {
                exchange.RawTarget = head.RawTarget;
                exchange.ErrorType = admission == AdmissionResult.Throttled ? DecisionReasons.AuthThrottled : DecisionReasons.AuthRequired;
                await RefuseAsync(connection, exchange, ProxyResponse.ForAdmission(admission, _auth.Challenge, traceId));
                return;
            }


            // 3. Decide. Not bound to ConnectionClosed: Kestrel fires it on the client's FIN, and a
            // client may send its head, its first bytes and a FIN at once. DNS and connect are bounded
            // by their own timeouts.
            var policyVersion = _policySource.Current.Version;
            var decideStart = _timeProvider.GetTimestamp();
            var decision = await _policy.DecideAsync(head.Target, exchange.Identity, CancellationToken.None);
            _telemetry.Metrics.DecisionTime(_timeProvider.GetElapsedTime(decideStart));
            exchange.Decision = decision;
            if (!decision.IsAllowed)
            {
                await RefuseAsync(connection, exchange, ProxyResponse.ForDecision(decision, "CONNECT", traceId));
                return;
            }

            // 4. Dial.
            IPEndPoint endpoint;
            try
            {
                (upstream, endpoint) = await _dialer.ConnectAsync(decision, CancellationToken.None);
            }
            catch (DialException ex)
            {
                exchange.ErrorType = ex.ErrorType;
                await RefuseAsync(connection, exchange, ProxyResponse.ForUpstreamFailure(decision, "CONNECT", ex.ErrorType, ex.Message, traceId, ex.Failure == DialFailure.Timeout));
                return;
            }

            exchange.Dialed = endpoint;
            exchange.Status = 200;

            // 5. Established; pump.
            await connection.Transport.Output.WriteAsync(Established, CancellationToken.None);
            using var pump = new TunnelPump(connection.Transport, upstream, _options.IdleTimeout, _timeProvider);
            var registration = _tunnels.Register(exchange, pump);
            if (_policySource.Current is { } current && current.Version != policyVersion)
            {
                // The policy changed between the decision and the registration: check again.
                _tunnels.Enforce(registration, current);
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
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            exchange.ErrorType ??= "client-closed";
        }
        finally
        {
            upstream?.Dispose();
            exchange.Duration = _timeProvider.GetElapsedTime(exchange.StartTimestamp);
            _log.Write(exchange);
            activity ??= _telemetry.Start("CONNECT").Activity;
            _telemetry.Finish(activity, exchange);
        }
    }

    private async Task RefuseUntrustedAsync(ConnectionContext connection, IPEndPoint? remote)
    {
        var (activity, traceId) = _telemetry.Start("untrusted client");
        var exchange = new ProxyExchange
        {
            Time = _timeProvider.GetUtcNow(),
            StartTimestamp = _timeProvider.GetTimestamp(),
            Method = "-",
            Client = remote,
            TraceId = traceId,
            ErrorType = DecisionReasons.UntrustedClient,
        };
        await RefuseAsync(connection, exchange, ProxyResponse.ForAdmission(AdmissionResult.UntrustedClient, _auth.Challenge, traceId));
        exchange.Duration = _timeProvider.GetElapsedTime(exchange.StartTimestamp);
        _log.Write(exchange);
        _telemetry.Finish(activity, exchange);
    }

    private static async Task RefuseAsync(ConnectionContext connection, ProxyExchange exchange, ProxyResponse response)
    {
        exchange.Status = response.Status;
        try
        {
            await connection.Transport.Output.WriteAsync(response.ToHttp11Bytes());
            await connection.Transport.Output.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            exchange.ErrorType ??= "client-closed";
        }
    }

    private static IPEndPoint? Normalize(EndPoint? endpoint) =>
        endpoint is IPEndPoint ip && ip.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ip.Address.MapToIPv4(), ip.Port) : endpoint as IPEndPoint;

    private enum PrefixKind
    {
        Partial,
        Connect,
        Other,
    }

    private static PrefixKind Classify(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[8];
        var length = (int)Math.Min(buffer.Length, first.Length);
        buffer.Slice(0, length).CopyTo(first);
        first = first[..length];
        if (!ConnectPrefix.StartsWith(first))
        {
            return PrefixKind.Other;
        }

        return length == ConnectPrefix.Length ? PrefixKind.Connect : PrefixKind.Partial;
    }
}
