namespace EgressGuard.Forwarding.Lean;

/// <summary>
/// <c>Proxy:UpstreamTimeout</c> as YARP's activity timeout: the longest wait between two upstream
/// reads or writes, re-armed before each, paused while the proxy waits on the client (a slow
/// reader or uploader is not the upstream's fault). Linked to the client's abort, so either ends
/// the wait. One per direction: the request body's waits must not pause the response's.
/// </summary>
internal sealed class UpstreamTimer : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _client;

    public UpstreamTimer(TimeSpan timeout, CancellationToken client)
    {
        _timeout = timeout;
        _client = client;
        _source = CancellationTokenSource.CreateLinkedTokenSource(client);
    }

    /// <summary>True when the wait ended by the timeout rather than by the client.</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_client.IsCancellationRequested;

    public CancellationToken Arm()
    {
        _source.CancelAfter(_timeout);
        return _source.Token;
    }

    /// <summary>Stops the clock until the next <see cref="Arm"/>: the wait that follows is on the client.</summary>
    public void Pause() => _source.CancelAfter(Timeout.InfiniteTimeSpan);

    public void Dispose() => _source.Dispose();
}
