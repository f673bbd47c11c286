namespace EgressGuard.Dialing;

/// <summary>
/// What the dialer and the upstream HTTP client need, mapped from <c>Proxy</c> and <c>Tls</c> by
/// the composition root, so that dialling depends on no feature that uses it.
/// </summary>
internal sealed class DialerOptions
{
    /// <summary><c>Proxy:ConnectTimeout</c>: one address's TCP connect. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Proxy:IdleTimeout</c>: an intercepted tunnel's pooled connections live no longer idle than its tunnel would.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>Proxy:PooledConnectionLifetime</c>: how long a pooled upstream connection is reused at most. Default 2 min.</summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary><c>Tls:Intercept:UpstreamCaFile</c>, resolved: extra roots for intercepted upstreams; null: the system's only.</summary>
    public string? UpstreamCaFile { get; init; }

    /// <summary><c>Upstream</c>, parsed and resolved at start: the parent proxies allowed exchanges go through. Default: none, all direct.</summary>
    public ParentRoutes Parents { get; init; } = ParentRoutes.None;
}
