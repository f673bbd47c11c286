namespace EgressGuard.Dialing;

/// <summary>
/// The one component that opens sockets on a client's behalf, for tunnels and forwarded requests
/// alike. It takes a <see cref="Decision"/>, never a host name: it dials only addresses the policy
/// approved in that decision, and refuses anything else. The proxy's own outbound calls (feeds,
/// webhooks, telemetry) use their own clients and never come here. Through a parent
/// (<c>Upstream:Proxy</c>, or the one the allowing rule names in <c>upstream</c>) the socket it opens goes to the parent and carries a CONNECT to the approved address
/// (<c>Dialer.Parent.cs</c>); what it hands back is the same plain socket to that destination.
/// </summary>
internal sealed partial class Dialer
{
    private readonly TimeSpan _connectTimeout;
    private readonly TimeProvider _timeProvider;

    private readonly EgressGuardMetrics _metrics;
    private readonly ParentRoutes _parents;

    public Dialer(DialerOptions options, TimeProvider timeProvider, EgressGuardMetrics metrics)
    {
        _metrics = metrics;
        _parents = options.Parents;
        _connectTimeout = options.ConnectTimeout;
        _timeProvider = timeProvider;
    }

    /// <summary>Dials the approved addresses in order until one answers.</summary>
    /// <exception cref="DialException">Every approved address failed; the last failure, a timeout if any timed out.</exception>
    public async ValueTask<(Socket Socket, IPEndPoint Endpoint)> ConnectAsync(Decision decision, CancellationToken cancellationToken)
    {
        EnsureAllowed(decision);
        DialException? failure = null;
        foreach (var address in decision.Approved)
        {
            var endpoint = new IPEndPoint(address, decision.Target!.Port);
            try
            {
                return (await DialAsync(decision, endpoint, cancellationToken).ConfigureAwait(false), endpoint);
            }
            catch (DialException ex) when (ex.Failure == DialFailure.ParentUnreachable)
            {
                throw; // the same parent for every address: trying the next one would only wait again
            }
            catch (DialException ex)
            {
                failure = failure?.Failure == DialFailure.Timeout ? failure : ex;
            }
        }

        throw failure!;
    }

    /// <summary>Dials exactly <paramref name="address"/>, which must be one the decision approved.</summary>
    public ValueTask<Socket> ConnectAsync(Decision decision, IPAddress address, int port, CancellationToken cancellationToken)
    {
        EnsureAllowed(decision);
        if (!decision.Approved.Contains(address) || port != decision.Target!.Port)
        {
            throw new InvalidOperationException($"Refusing to dial {address}:{port}: not approved for {decision.Target}.");
        }

        return DialAsync(decision, new IPEndPoint(address, port), cancellationToken);
    }

    /// <summary>Directly or through a parent, as <see cref="ParentRoutes.For"/> picks from the decision.</summary>
    private ValueTask<Socket> DialAsync(Decision decision, IPEndPoint endpoint, CancellationToken cancellationToken) =>
        _parents.For(decision, endpoint.Address) is { } parent
            ? ConnectThroughParentAsync(parent, endpoint, cancellationToken)
            : ConnectOneAsync(endpoint, cancellationToken);

    private static void EnsureAllowed(Decision decision)
    {
        if (!decision.IsAllowed || decision.Approved.Count == 0 || decision.Target is null)
        {
            throw new InvalidOperationException($"Refusing to dial for a decision that is not an allow: {decision.Reason}.");
        }
    }

    private async ValueTask<Socket> ConnectOneAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var activity = EgressGuardTelemetry.Source.StartActivity("connect " + endpoint, ActivityKind.Client);
        activity?.SetTag(LogFields.PeerAddress, endpoint.Address.ToString());
        activity?.SetTag(LogFields.PeerPort, endpoint.Port);
        var start = _timeProvider.GetTimestamp();
        var outcome = "failed";
        try
        {
            var socket = await ConnectSocketAsync(endpoint, cancellationToken).ConfigureAwait(false);
            outcome = "ok";
            return socket;
        }
        catch (DialException ex)
        {
            outcome = ex.ErrorType;
            activity?.SetTag(LogFields.ErrorType, ex.ErrorType);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            _metrics.Connect(_timeProvider.GetElapsedTime(start), outcome);
        }
    }

    private async ValueTask<Socket> ConnectSocketAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(_connectTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await socket.ConnectAsync(endpoint, linked.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new DialException(DialFailure.Timeout, endpoint, ex);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new DialException(DialException.Classify(ex.SocketErrorCode), endpoint, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
