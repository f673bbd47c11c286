namespace EgressGuard.Dialing;

/// <summary>One request's use of its identity's upstream pool (<see cref="UpstreamPools.Rent"/>).</summary>
internal sealed class UpstreamPoolLease : IDisposable
{
    private readonly UpstreamPools _pools;
    private readonly UpstreamPools.Pool _pool;
    private int _returned;

    internal UpstreamPoolLease(UpstreamPools pools, UpstreamPools.Pool pool)
    {
        _pools = pools;
        _pool = pool;
    }

    public HttpMessageInvoker Invoker => _pool.Invoker;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0)
        {
            _pools.Return(_pool);
        }
    }
}
