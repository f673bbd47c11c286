using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;

namespace EgressGuard.Identity;

/// <summary>
/// Credentials that passed the slow hash recently (<c>Auth:CacheTtl</c>), at most
/// <c>Auth:CacheSize</c> of them. Keyed by SHA-256 of the user's canonical name and the password —
/// never the header, never the password itself — so one credential has one entry however it is
/// spelt; only a successful check adds one. An entry holds the <see cref="UserEntry"/> it was
/// checked against: after a reload that changed the user it no longer matches and is checked again.
/// </summary>
internal sealed class VerifiedCredentials(AuthOptions options, TimeProvider time) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, options.CacheSize) });

    public int Count => _cache.Count;

    public bool Contains(UserEntry user, string password) =>
        _cache.TryGetValue(Key(user, password), out Entry? entry) && entry is not null && time.GetTimestamp() < entry.Expires && ReferenceEquals(entry.User, user);

    public void Add(UserEntry user, string password)
    {
        if (options.CacheTtl <= TimeSpan.Zero)
        {
            return;
        }

        // The expiry that counts is on the injected clock (tests, and a clock change, agree with the
        // rest); the cache's own expiry is what frees the memory.
        var expires = time.GetTimestamp() + (long)(options.CacheTtl.TotalSeconds * time.TimestampFrequency);
        _cache.Set(Key(user, password), new Entry(user, expires), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.CacheTtl });
    }

    public void Clear() => _cache.Clear();

    public void Dispose() => _cache.Dispose();

    private static string Key(UserEntry user, string password) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user.Name + "\0" + password)));

    private sealed record Entry(UserEntry User, long Expires);
}
