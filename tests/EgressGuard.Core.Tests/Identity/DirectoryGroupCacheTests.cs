using EgressGuard.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Core.Tests.Identity;

public sealed class DirectoryGroupCacheTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedDirectory _directory = new();
    private readonly DirectoryOptions _options = new() { CacheTtl = TimeSpan.FromMinutes(5), Grace = TimeSpan.FromMinutes(10), Timeout = TimeSpan.FromSeconds(2) };

    private DirectoryGroupCache NewCache() => new(_directory, _options, _time, NullLogger.Instance);

    [Fact]
    public void Get_FirstTime_LooksUpAndIsKnown_ThenCachedWithinTtl()
    {
        var cache = NewCache();
        _directory.Groups = ["staff"];
        Assert.Equal(new[] { "staff" }, cache.Get("alice@R").Groups);
        _directory.Groups = ["changed"];
        _time.Advance(TimeSpan.FromMinutes(4));
        var again = cache.Get("alice@R");
        Assert.Equal(DirectoryGroupState.Known, again.State);
        Assert.Equal(new[] { "staff" }, again.Groups);
        Assert.Equal(1, _directory.Calls);
    }

    [Fact]
    public async Task Get_PastTtl_AnswersAtOnceAndRefreshesInTheBackground()
    {
        var cache = NewCache();
        _directory.Groups = ["staff"];
        cache.Get("alice@R");
        _directory.Groups = ["staff", "admins"];
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(DirectoryGroupState.Stale, cache.Get("alice@R").State);
        await WaitUntilAsync(() => cache.Get("alice@R").State == DirectoryGroupState.Known);
        Assert.Equal(new[] { "staff", "admins" }, cache.Get("alice@R").Groups);
    }

    [Fact]
    public async Task Get_DirectoryDown_LastKnownForTheGrace_ThenUnknown()
    {
        var cache = NewCache();
        _directory.Groups = ["staff"];
        cache.Get("alice@R");
        _directory.Down = true;
        _time.Advance(TimeSpan.FromMinutes(14));
        var stale = cache.Get("alice@R");
        Assert.Equal((DirectoryGroupState.Stale, "staff"), (stale.State, stale.Groups.Single()));
        await WaitUntilAsync(() => _directory.Failures > 0);
        _time.Advance(TimeSpan.FromMinutes(2));
        var unknown = cache.Get("alice@R");
        Assert.Equal(DirectoryGroupState.Unknown, unknown.State);
        Assert.Empty(unknown.Groups);
    }

    [Fact]
    public void Get_NeverReached_Unknown()
    {
        _directory.Down = true;
        Assert.Equal(DirectoryGroupState.Unknown, NewCache().Get("bob@R").State);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }

    /// <summary>A directory answering what the test says, or failing like an unreachable server.</summary>
    private sealed class ScriptedDirectory : IGroupDirectory
    {
        private int _calls;
        private int _failures;

        public IReadOnlyList<string> Groups { get; set; } = [];

        public bool Down { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public int Failures => Volatile.Read(ref _failures);

        public Task<IReadOnlyList<string>> LookupAsync(string user, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Down)
            {
                Interlocked.Increment(ref _failures);
                return Task.FromException<IReadOnlyList<string>>(new TimeoutException("the LDAP server is down"));
            }

            return Task.FromResult(Groups);
        }
    }
}
