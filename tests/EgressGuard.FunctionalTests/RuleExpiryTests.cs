using EgressGuard.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.FunctionalTests;

public sealed class RuleExpiryTests
{
    [Fact]
    public void Check_RuleExpires_ReportedOnceAtExpiry()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "expiry-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "rules.json");
        File.WriteAllText(file, """{"rules":[{"id":"temp","action":"allow","destinations":["x.test"],"expires":"2026-11-29T12:10:00Z","ticket":"OPS-9"}]}""");
        using var store = new RulesStore(file, Path.Combine(dir, "history"), 5, _ => true, clock, NullLogger.Instance);
        Assert.True(store.LoadInitial().Applied);
        var reporter = new RuleExpiryReporter(store, clock, NullLogger<RuleExpiryReporter>.Instance);

        Assert.Empty(reporter.Check());
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(["temp"], reporter.Check());
        Assert.Empty(reporter.Check());
        Assert.True(store.Current.Find("temp")!.IsExpired(clock.GetUtcNow()));
    }
}
