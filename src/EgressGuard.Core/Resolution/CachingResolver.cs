using Microsoft.Extensions.Caching.Memory;

namespace EgressGuard.Resolution;

/// <summary>
/// TTL-aware cache in front of a resolver. Answers live for their smallest record TTL (capped by
/// <see cref="DnsOptions.MaxCacheTtl"/>), NXDOMAIN and empty answers for
/// <see cref="DnsOptions.NegativeCacheTtl"/>; timeouts and server failures are never cached.
/// Concurrent lookups of one name share a single query, so a burst of connections to a new name
/// costs one round trip. The cache only stores answers: every use is checked against the policy
/// in force at that moment.
/// </summary>
internal sealed class CachingResolver : IResolver, IDisposable
{
    private readonly IResolver _inner;
    private readonly DnsOptions _options;
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<string, Lazy<Task<Resolution>>> _inflight = new(StringComparer.Ordinal);

    public CachingResolver(IResolver inner, DnsOptions options, TimeProvider timeProvider)
    {
        _inner = inner;
        _options = options;
        _cache = new MemoryCache(new MemoryCacheOptions { Clock = new TimeProviderClock(timeProvider), SizeLimit = 100_000 });
    }

    public bool TryGetCached(string name, out Resolution resolution)
    {
        if (_cache.TryGetValue(name, out Resolution? cached) && cached is not null)
        {
            resolution = cached;
            return true;
        }

        resolution = null!;
        return false;
    }

    public ValueTask<Resolution> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(name, out Resolution? cached) && cached is not null)
        {
            return ValueTask.FromResult(cached);
        }

        // The shared lookup must not be cancelled by the first caller's token. The entry is removed
        // by identity once done, so a lookup that completes synchronously cannot leave a stale one.
        var lazy = new Lazy<Task<Resolution>>(() => LookupAsync(name));
        var shared = _inflight.GetOrAdd(name, lazy);
        if (ReferenceEquals(shared, lazy))
        {
            lazy.Value.ContinueWith(
                static (_, state) =>
                {
                    var (self, key, entry) = ((CachingResolver, string, Lazy<Task<Resolution>>))state!;
                    self._inflight.TryRemove(KeyValuePair.Create(key, entry));
                },
                (this, name, lazy),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return new ValueTask<Resolution>(shared.Value.WaitAsync(cancellationToken));
    }

    private async Task<Resolution> LookupAsync(string name)
    {
        var result = await _inner.ResolveAsync(name, CancellationToken.None).ConfigureAwait(false);
        var ttl = result.Error switch
        {
            ResolutionError.None => result.TimeToLive < _options.MaxCacheTtl ? result.TimeToLive : _options.MaxCacheTtl,
            ResolutionError.NxDomain or ResolutionError.NoAddresses => _options.NegativeCacheTtl,
            _ => TimeSpan.Zero,
        };
        if (ttl > TimeSpan.Zero)
        {
            _cache.Set(name, result, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = 1 });
        }

        return result;
    }

    public void Dispose() => _cache.Dispose();

    private sealed class TimeProviderClock(TimeProvider timeProvider) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => timeProvider.GetUtcNow();
    }
}
