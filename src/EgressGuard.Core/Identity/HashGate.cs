namespace EgressGuard.Identity;

/// <summary>
/// Where password hashes run: on the thread pool, never on the request's thread, at most
/// <c>Auth:MaxConcurrentHashes</c> at once. A check waits for a slot at most
/// <c>Auth:HashQueueTimeout</c> (on the injected clock), then gives up: the client gets 503
/// <c>auth-busy</c> rather than queueing without end behind a flood of wrong passwords.
/// </summary>
internal sealed class HashGate(AuthOptions options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.MaxConcurrentHashes), Math.Max(1, options.MaxConcurrentHashes));

    /// <summary>The hash's result, or null when no slot came free in time.</summary>
    public async ValueTask<bool?> RunAsync(Func<bool> hash, CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0, CancellationToken.None))
        {
            using var timeout = new CancellationTokenSource(options.HashQueueTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        try
        {
            return await Task.Run(hash, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
