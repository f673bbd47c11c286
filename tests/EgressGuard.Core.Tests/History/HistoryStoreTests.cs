using System.Net;
using EgressGuard.History;

namespace EgressGuard.Tests.History;

public sealed class HistoryStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-history-" + Guid.NewGuid().ToString("N"));
    private readonly HistoryStore _store;
    private readonly HistoryQueries _queries;

    public HistoryStoreTests()
    {
        _store = new HistoryStore(Path.Combine(_dir, "history.db"));
        _queries = new HistoryQueries(_store);
        _store.Write(
        [
            Row(T0, "10.1.2.3", "alice", "cdn.example.com", "allow", null, ["203.0.113.9"], cnames: ["edge.cdn.net"]),
            Row(T0.AddMinutes(1), "10.1.2.3", "alice", "c2.bad.example", "deny", "feed:feodo", ["198.51.100.7"], feed: "feodo"),
            Row(T0.AddMinutes(2), "10.1.2.4", null, "c2.bad.example", "deny", "feed:feodo", ["198.51.100.7"], feed: "feodo"),
            Row(T0.AddMinutes(3), "10.1.2.3", "alice", "c2.bad.example", "deny", "feed:feodo", ["198.51.100.7"], feed: "feodo"),
            Row(T0.AddMinutes(4), "10.9.9.9", "bob", "www.example.org", "allow", null, ["2001:db8::5"]),
        ]);
    }

    public void Dispose()
    {
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static HistoryRecord Row(DateTimeOffset time, string client, string? user, string host, string decision, string? rule, string[] addresses, string[]? cnames = null, string? feed = null) => new()
    {
        Time = time,
        Client = IPAddress.Parse(client),
        ClientPort = 40000,
        User = user,
        Method = "CONNECT",
        Host = host,
        Port = 443,
        Addresses = addresses.Select(IPAddress.Parse).ToList(),
        Cnames = cnames ?? [],
        Decision = decision,
        Rule = rule,
        Feed = feed,
        Status = decision == "allow" ? 200 : 403,
    };

    [Theory]
    [InlineData("198.51.100.7", 3)]
    [InlineData("198.51.100.0/24", 3)]
    [InlineData("203.0.113.0/24", 1)]
    [InlineData("2001:db8::/32", 1)]
    [InlineData("c2.bad.example", 3)]
    [InlineData("*.bad.example", 3)]
    [InlineData("*.example.com", 1)]
    [InlineData("edge.cdn.net", 1)]
    [InlineData("bad.example", 0)]
    public void Connections_ByDestination_AddressCidrNameWildcardOrCname(string destination, int expected)
    {
        Assert.Equal(expected, _queries.Connections(new HistoryFilter { Destination = destination }).Count);
    }

    [Fact]
    public void Connections_BySourceAndRangeAndDecision_NewestFirst()
    {
        var rows = _queries.Connections(new HistoryFilter { Source = "10.1.2.3", From = T0.AddSeconds(30), Decision = "deny" });

        Assert.Equal([T0.AddMinutes(3), T0.AddMinutes(1)], rows.Select(r => r.Time));
        Assert.All(rows, r => Assert.Equal("alice", r.User));
        Assert.Equal(3, _queries.Connections(new HistoryFilter { Source = "alice" }).Count);
        Assert.Equal(4, _queries.Connections(new HistoryFilter { Source = "10.1.2.0/24" }).Count);
    }

    [Fact]
    public void Resolutions_NameAndAddress_PassiveDns()
    {
        var byName = Assert.Single(_queries.Resolutions("c2.bad.example"));
        Assert.Equal("198.51.100.7", byName.Address);
        Assert.Equal(T0.AddMinutes(1), byName.FirstSeen);
        Assert.Equal(T0.AddMinutes(3), byName.LastSeen);
        Assert.Equal("c2.bad.example", Assert.Single(_queries.Resolutions("198.51.100.7")).Name);
        Assert.Empty(_queries.Resolutions("c2.bad.example", at: T0));
    }

    [Fact]
    public void TopTalkers_ListedDenies_BySource()
    {
        var top = _queries.TopTalkers(T0, T0.AddHours(1));

        Assert.Equal(2, top.Count);
        Assert.Equal(("10.1.2.3", "alice", 2L, "feed:feodo"), (top[0].Client, top[0].User, top[0].Denies, top[0].Rules));
        Assert.Equal(("10.1.2.4", 1L), (top[1].Client, top[1].Denies));
        Assert.Equal(3, Assert.Single(_queries.BlockedBy("feed", T0, T0.AddHours(1))).Count);
    }

    [Fact]
    public void Prune_OlderThanRetention_Deleted()
    {
        _store.Prune(T0.AddMinutes(2), long.MaxValue);

        Assert.Equal(3, _queries.Connections(new HistoryFilter()).Count);
        Assert.Empty(_queries.Connections(new HistoryFilter { Destination = "203.0.113.9" }));
    }

    [Fact]
    public void MarkReported_SecondTime_False()
    {
        Assert.True(_queries.MarkReported("10.1.2.3", "c2.bad.example", "feed:feodo", T0));
        Assert.False(_queries.MarkReported("10.1.2.3", "c2.bad.example", "feed:feodo", T0));
    }

    [Fact]
    public void Validate_BadFilter_EveryProblem()
    {
        var errors = HistoryQueries.Validate(new HistoryFilter { Decision = "maybe", Limit = 0, From = T0, To = T0.AddDays(-1) });

        Assert.Equal(3, errors.Count);
    }
}

public sealed class HistoryFoldTests
{
    [Fact]
    public void Fold_IdenticalRequests_OneRowWithCountBytesAndTimeSpan()
    {
        var t0 = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
        HistoryRecord R(int ms, string host, long bytes) => new()
        {
            Time = t0.AddMilliseconds(ms),
            Client = IPAddress.Parse("10.1.2.3"),
            Method = "GET",
            Host = host,
            Port = 80,
            Addresses = [IPAddress.Parse("93.184.216.34")],
            Decision = "allow",
            BytesDown = bytes,
        };

        var folded = HistoryWriter.Fold([R(300, "a.example", 10), R(100, "a.example", 20), R(200, "b.example", 5), R(500, "a.example", 30)]);

        Assert.Equal(2, folded.Count);
        var a = Assert.Single(folded, r => r.Host == "a.example");
        Assert.Equal((3L, 60L, t0.AddMilliseconds(100), t0.AddMilliseconds(500)), (a.Count, a.BytesDown, a.Time, a.LastTime!.Value));
        Assert.Equal(1, Assert.Single(folded, r => r.Host == "b.example").Count);
    }
}
