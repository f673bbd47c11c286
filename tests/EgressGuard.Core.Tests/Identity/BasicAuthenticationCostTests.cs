using System.Collections.Concurrent;
using System.Net;
using System.Text;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Identity;

/// <summary>
/// Basic authentication as a CPU and memory lever (issue 16, item 5): the real authenticator and
/// credentials file, with the real PBKDF2 counted — and, where a test needs checks in flight, held —
/// by a wrapper around <see cref="PasswordHasher.Verify"/>.
/// </summary>
public sealed class BasicAuthenticationCostTests : IDisposable
{
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-auth-cost-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly CountingHasher _hasher = new();

    public BasicAuthenticationCostTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _hasher.Release();
        Directory.Delete(_dir, recursive: true);
    }

    private string UsersPath => Path.Combine(_dir, "users.json");

    private static string Basic(string userColonPassword) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

    private ProxyAuthenticator Create(AuthOptions options, params (string Name, string Password)[] users)
    {
        UsersFile.Save(UsersPath, new UsersDocument { Users = [.. users.Select(u => new UserEntry { Name = u.Name, Password = PasswordHasher.Hash(u.Password, 1000) })] });
        return new ProxyAuthenticator(options, UsersPath, [IpNetworkParser.Parse("10.0.0.0/8")], _clock, NullLogger.Instance, verify: _hasher.Verify);
    }

    [Fact]
    public async Task AdmitAsync_ThousandSpellingsOfOneCredential_OneCacheEntryAndOneHash()
    {
        using var auth = Create(new AuthOptions { Mode = "basic" }, ("alice", "pw"));
        var encoded = Convert.ToBase64String("alice:pw"u8);
        string[] schemes = ["Basic", "basic", "BASIC", "bAsIc"];
        string[] spaces = [" ", "  ", "\t", " \t "];

        for (var i = 0; i < 1000; i++)
        {
            // Whitespace at a different place inside the base64, around it, and a different case of the scheme.
            var at = i % (encoded.Length + 1);
            var header = $"{schemes[i % 4]}{spaces[(i / 4) % 4]}{new string(' ', i % 7)}{encoded[..at]}{new string(' ', (i / 7) % 5)}{encoded[at..]}{new string(' ', i % 3)}";

            Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, header)).Result);
        }

        Assert.Equal(1, auth.CachedCredentials);
        Assert.Equal(1, _hasher.Calls);
    }

    [Fact]
    public async Task AdmitAsync_MoreVerifiedUsersThanCacheSize_CacheStaysWithinSize()
    {
        var users = Enumerable.Range(0, 20).Select(i => ($"user{i}", "pw")).ToArray();
        using var auth = Create(new AuthOptions { Mode = "basic", CacheSize = 5 }, users);

        foreach (var (name, password) in users)
        {
            Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic($"{name}:{password}"))).Result);
            Assert.InRange(auth.CachedCredentials, 1, 5);
        }
    }

    [Fact]
    public async Task AdmitAsync_ParallelWrongPasswords_OnlyThrottleLimitHashedRestThrottled()
    {
        using var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 5, MaxConcurrentHashes = 50 }, ("alice", "pw"));
        _hasher.Hold();

        // Called on the test's thread: a check that hashed inline would block it here.
        var attempts = Enumerable.Range(0, 50).Select(i => auth.AdmitAsync(Client, Basic("alice:guess" + i)).AsTask()).ToList();
        await WaitUntilAsync(() => attempts.Count(a => a.IsCompleted) == 45 && _hasher.Calls == 5);
        Assert.All(attempts.Where(a => a.IsCompleted), a => Assert.Equal(AdmissionResult.Throttled, a.Result.Result));

        _hasher.Release();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(5, _hasher.Calls);
        Assert.Equal(5, results.Count(r => r.Result == AdmissionResult.AuthenticationRequired));
        Assert.Equal(45, results.Count(r => r.Result == AdmissionResult.Throttled));
        Assert.Equal(AdmissionResult.Throttled, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task AdmitAsync_UnknownUser_HashesDummyOfTheUsersCost()
    {
        using var auth = Create(new AuthOptions { Mode = "basic" }, ("alice", "pw"), ("bob", "pw2"));

        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("mallory:pw"))).Result);

        var stored = Assert.Single(_hasher.Stored);
        Assert.StartsWith("pbkdf2-sha256$1000$", stored, StringComparison.Ordinal);
        Assert.True(PasswordHasher.IsWellFormed(stored));
    }

    [Fact]
    public async Task AdmitAsync_HashRunning_CallerThreadNotBlocked()
    {
        using var auth = Create(new AuthOptions { Mode = "basic" }, ("alice", "pw"));
        _hasher.Hold();

        var pending = auth.AdmitAsync(Client, Basic("alice:pw"));
        Assert.False(pending.IsCompleted);

        _hasher.Release();
        Assert.Equal(AdmissionResult.Admitted, (await pending).Result);
    }

    [Fact]
    public async Task AdmitAsync_AllHashSlotsBusyPastQueueTimeout_BusyAndNotCountedAsFailure()
    {
        using var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 1, MaxConcurrentHashes = 1, HashQueueTimeout = TimeSpan.FromSeconds(5) }, ("alice", "pw"));
        _hasher.Hold();
        var first = auth.AdmitAsync(Client, Basic("alice:pw")).AsTask();
        await WaitUntilAsync(() => _hasher.Calls == 1);

        var other = IPAddress.Parse("10.9.9.9");
        var queued = auth.AdmitAsync(other, Basic("alice:pw")).AsTask();
        await WaitUntilAsync(() =>
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            return queued.IsCompleted;
        });

        Assert.Equal(AdmissionResult.Busy, (await queued).Result);
        _hasher.Release();
        Assert.Equal(AdmissionResult.Admitted, (await first).Result);

        // MaxFailures = 1: had the busy answer counted as a failure, this address would be throttled.
        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(other, Basic("alice:wrong"))).Result);
        Assert.Equal(2, _hasher.Calls);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    /// <summary>The real PBKDF2 check, counted; <see cref="Hold"/> keeps checks in flight until <see cref="Release"/>.</summary>
    private sealed class CountingHasher
    {
        private readonly ConcurrentQueue<string> _stored = new();
        private volatile TaskCompletionSource _gate = Released();
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public IReadOnlyCollection<string> Stored => _stored;

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public bool Verify(string password, string stored)
        {
            Interlocked.Increment(ref _calls);
            _stored.Enqueue(stored);
            _gate.Task.Wait(TimeSpan.FromSeconds(30));
            return PasswordHasher.Verify(password, stored);
        }

        private static TaskCompletionSource Released()
        {
            var done = new TaskCompletionSource();
            done.SetResult();
            return done;
        }
    }
}
