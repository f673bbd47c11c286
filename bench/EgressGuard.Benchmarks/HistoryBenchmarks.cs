using System.Net;
using BenchmarkDotNet.Attributes;
using EgressGuard.History;

namespace EgressGuard.Benchmarks;

/// <summary>
/// The history writer's cost per request, on the writer's own thread: a batch of 2,000 requests that
/// are all different flows (worst case: one row each) and a batch from a few busy clients (folded).
/// </summary>
[MemoryDiagnoser]
public class HistoryBenchmarks
{
    private HistoryStore _store = null!;
    private string _dir = null!;
    private List<HistoryRecord> _distinct = null!;
    private List<HistoryRecord> _repetitive = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "egressguard-bench-" + Guid.NewGuid().ToString("N"));
        _store = new HistoryStore(Path.Combine(_dir, "history.db"));
        var t0 = DateTimeOffset.UtcNow;
        HistoryRecord Record(int i, int clients, int hosts) => new()
        {
            Time = t0.AddMilliseconds(i),
            Client = IPAddress.Parse($"10.1.{i % clients / 250}.{(i % clients % 250) + 1}"),
            ClientPort = 40000 + i,
            Method = "CONNECT",
            Host = $"host{i % hosts}.example.com",
            Port = 443,
            Addresses = [IPAddress.Parse($"93.184.{i % hosts / 250}.{(i % hosts % 250) + 1}")],
            Dialed = IPAddress.Parse($"93.184.{i % hosts / 250}.{(i % hosts % 250) + 1}"),
            Decision = "allow",
            Reason = "allowed",
            Status = 200,
            BytesUp = 700,
            BytesDown = 5000,
            DurationMs = 120,
            TraceId = System.Diagnostics.ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"),
        };
        _distinct = Enumerable.Range(0, 2000).Select(i => Record(i, 2000, 2000)).ToList();
        _repetitive = Enumerable.Range(0, 2000).Select(i => Record(i, 20, 5)).ToList();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>2,000 requests, 2,000 rows.</summary>
    [Benchmark]
    public void DistinctFlows() => _store.Write(HistoryWriter.Fold(_distinct));

    /// <summary>2,000 requests from 20 clients to 5 hosts: 20 rows after folding.</summary>
    [Benchmark]
    public void BusyClients() => _store.Write(HistoryWriter.Fold(_repetitive));
}
