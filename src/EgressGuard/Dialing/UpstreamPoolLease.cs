namespace EgressGuard.Dialing;

/// <summary>One request's use of its identity's upstream pool (<see cref="UpstreamPools.Rent"/>).</summary>
internal sealed class UpstreamPoolLease(UpstreamPools pools, UpstreamPools.Pool pool) : IDisposable
{
    private int _returned;

    public HttpMessageInvoker Invoker => pool.Invoker;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0)
        {
            pools.Return(pool);
        }
    }
}
