using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Quarantine;
using EgressGuard.Resolution;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Quarantine;

public sealed class QuarantineTriggerTests
{
    private static readonly IPAddress Source = IPAddress.Parse("10.1.2.3");

    [Fact]
    public void Record_ThresholdWithinWindow_TriggersOnceThenStartsOver()
    {
        var clock = new FakeTimeProvider();
        var trigger = new QuarantineTrigger(new QuarantineOptions { Threshold = 3, Window = TimeSpan.FromMinutes(10) }, clock);

        Assert.False(trigger.Record(Source));
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.False(trigger.Record(Source));
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.True(trigger.Record(Source));
        Assert.False(trigger.Record(Source));
    }

    [Fact]
    public void Record_SpreadWiderThanWindow_NeverTriggers()
    {
        var clock = new FakeTimeProvider();
        var trigger = new QuarantineTrigger(new QuarantineOptions { Threshold = 3, Window = TimeSpan.FromMinutes(10) }, clock);

        for (var i = 0; i < 10; i++)
        {
            Assert.False(trigger.Record(Source));
            clock.Advance(TimeSpan.FromMinutes(6));
        }
    }

    [Fact]
    public void Counts_CategoriesConfigured_OnlyThoseCount()
    {
        var trigger = new QuarantineTrigger(new QuarantineOptions { Categories = ["c2"] }, new FakeTimeProvider());

        Assert.True(trigger.Counts("C2"));
        Assert.False(trigger.Counts("tor"));
        Assert.False(trigger.Counts(null));
        Assert.True(new QuarantineTrigger(new QuarantineOptions(), new FakeTimeProvider()).Counts(null));
    }
}

public sealed class QuarantineStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-quarantine-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private string File => Path.Combine(_dir, "quarantine.json");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private QuarantineStore Store() => new(File, new Remediation([]), _clock);

    [Fact]
    public void Quarantine_NewStoreOnSameFile_RestoredUntilItExpires()
    {
        Store().Quarantine(IPAddress.Parse("10.1.2.3"), _clock.GetUtcNow().AddHours(1), "3 c2 denies", "auto", "a-1");

        var restarted = Store();
        Assert.Equal((1, null), restarted.Load());
        Assert.True(restarted.TryGet(IPAddress.Parse("::ffff:10.1.2.3"), out var entry));
        Assert.Equal("a-1", entry.AlertId);
        Assert.Equal("auto", entry.By);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.False(restarted.TryGet(IPAddress.Parse("10.1.2.3"), out _));
        Assert.Equal((0, null), Store().Load());
    }

    [Fact]
    public void ExtendAndRelease_ActiveEntry_ChangedAndPersisted()
    {
        var store = Store();
        var address = IPAddress.Parse("10.1.2.3");
        store.Quarantine(address, _clock.GetUtcNow().AddHours(1), "manual", "alice");

        var extended = store.Extend(address, _clock.GetUtcNow().AddHours(5), "bob");
        Assert.Equal(_clock.GetUtcNow().AddHours(5), extended!.Until);
        Assert.Equal("alice, extended by bob", extended.By);
        Assert.NotNull(store.Release(address));
        Assert.Null(store.Release(address));
        Assert.Null(store.Extend(address, _clock.GetUtcNow().AddHours(1), "bob"));
        Assert.Equal((0, null), Store().Load());
    }

    [Fact]
    public void Load_UnreadableFile_MovedAsideNotLost()
    {
        Directory.CreateDirectory(_dir);
        System.IO.File.WriteAllText(File, "{ not json");

        var (restored, error) = Store().Load();

        Assert.Equal(0, restored);
        Assert.Contains("moved to", error);
        Assert.Single(Directory.GetFiles(_dir, "quarantine.json.unreadable-*"));
    }

    [Fact]
    public void Load_DuplicateAndUnreadableRows_SkippedLaterEndKept()
    {
        Directory.CreateDirectory(_dir);
        var since = _clock.GetUtcNow().ToString("O");
        System.IO.File.WriteAllText(File, $$"""
            [ {"Address":"10.1.2.3","Reason":"a","Since":"{{since}}","Until":"{{_clock.GetUtcNow().AddHours(1):O}}","By":"auto"},
              {"Address":"10.1.2.3","Reason":"b","Since":"{{since}}","Until":"{{_clock.GetUtcNow().AddHours(5):O}}","By":"alice"},
              {"Address":null,"Reason":"x","Since":"{{since}}","Until":"{{_clock.GetUtcNow().AddHours(1):O}}","By":"auto"},
              null ]
            """);
        var store = Store();

        Assert.Equal((1, null), store.Load());
        Assert.True(store.TryGet(IPAddress.Parse("10.1.2.3"), out var entry));
        Assert.Equal("b", entry.Reason);
    }

    [Fact]
    public void Quarantine_StateCannotBeSaved_StillAppliesAndSaysSo()
    {
        // The "directory" is a file: every save fails, as on a read-only or full disk.
        Directory.CreateDirectory(_dir);
        var blocker = Path.Combine(_dir, "not-a-folder");
        System.IO.File.WriteAllText(blocker, "");
        var store = new QuarantineStore(Path.Combine(blocker, "quarantine.json"), new Remediation([]), _clock);
        string? failure = null;
        store.SaveFailed += error => failure = error;

        store.Quarantine(IPAddress.Parse("10.1.2.3"), _clock.GetUtcNow().AddHours(1), "3 c2 denies", "auto");

        Assert.True(store.TryGet(IPAddress.Parse("10.1.2.3"), out _));
        Assert.Contains("not-a-folder", failure);
    }

    [Fact]
    public void Validate_BadRemediationEntry_NamedWithKey()
    {
        var errors = new List<string>();
        Remediation.Validate(["av.corp.example", "10.0.0.0/33", "*bad*"], errors);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("Quarantine:Remediation:1 = '10.0.0.0/33'", errors[0]);
        Assert.StartsWith("Quarantine:Remediation:2 = '*bad*'", errors[1]);
    }
}

public sealed class QuarantinePolicyTests
{
    private sealed class TableResolver : IResolver
    {
        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Resolution.Resolution(
                [IPAddress.Parse(name switch { "patch.vendor.example" => "151.101.1.20", _ => "93.184.216.34" })], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)));
    }

    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private static (EgressPolicy Policy, QuarantineStore Store) Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-quarantine-" + Guid.NewGuid().ToString("N"));
        var store = new QuarantineStore(Path.Combine(dir, "q.json"), new Remediation([".av.corp.example", "151.101.0.0/16"]), Clock);
        var holder = new PolicyHolder(new PolicySnapshot(IpRangeIndex.Empty, DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1));
        return (new EgressPolicy(holder, new TableResolver(), AddressPreference.IPv4, Clock, quarantine: store), store);
    }

    private static Target T(string authority)
    {
        Assert.True(TargetParser.TryParseAuthority(authority, -1, out var target, out _));
        return target;
    }

    private static ClientIdentity Client(string address) => new(IPAddress.Parse(address));

    [Fact]
    public async Task Decide_QuarantinedClient_DeniedOthersNot_EvenFromTheCache()
    {
        var (policy, store) = Create();
        Assert.True((await policy.DecideAsync(T("example.com:443"), Client("10.1.2.3"), default)).IsAllowed);  // now cached
        store.Quarantine(IPAddress.Parse("10.1.2.3"), Clock.GetUtcNow().AddHours(1), "3 c2 denies", "auto");

        var denied = await policy.DecideAsync(T("example.com:443"), Client("10.1.2.3"), default);
        Assert.Equal(DecisionAction.Deny, denied.Action);
        Assert.Equal(DecisionReasons.Quarantined, denied.Reason);
        Assert.Equal("quarantine", denied.Rule);
        Assert.Equal("10.1.2.3", denied.Entry);
        Assert.Empty(denied.Approved);
        Assert.Contains("3 c2 denies", denied.Detail);
        Assert.True((await policy.DecideAsync(T("example.com:443"), Client("10.1.2.4"), default)).IsAllowed);
    }

    [Theory]
    [InlineData("updates.av.corp.example:443")]
    [InlineData("av.corp.example:443")]
    [InlineData("patch.vendor.example:443")]
    [InlineData("151.101.2.7:443")]
    public async Task Decide_QuarantinedClientToRemediation_Allowed(string destination)
    {
        var (policy, store) = Create();
        store.Quarantine(IPAddress.Parse("10.1.2.3"), Clock.GetUtcNow().AddHours(1), "manual", "alice");

        Assert.True((await policy.DecideAsync(T(destination), Client("10.1.2.3"), default)).IsAllowed);
    }

    [Fact]
    public async Task Explain_QuarantinedClient_StepSaysWhy()
    {
        var (policy, store) = Create();
        store.Quarantine(IPAddress.Parse("10.1.2.3"), Clock.GetUtcNow().AddHours(1), "manual", "alice");

        var (decision, steps) = await policy.ExplainAsync(T("example.com:443"), Client("10.1.2.3"), default);

        Assert.Equal(DecisionReasons.Quarantined, decision.Reason);
        var step = steps[^1];
        Assert.Equal(("client 10.1.2.3", "quarantine", "deny"), (step.Subject, step.Rule, step.Action));
    }
}
