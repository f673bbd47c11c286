using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Proxy;
using EgressGuard.Resolution;
using EgressGuard.Telemetry;

namespace EgressGuard.Benchmarks;

/// <summary>
/// The per-request work outside the sockets: CONNECT head parsing, address normalisation and
/// classification, the policy decision (first and repeated), and decision-log serialisation.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private static readonly ReadOnlySequence<byte> Head = new(Encoding.ASCII.GetBytes(
        "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\nUser-Agent: curl/8.5.0\r\nProxy-Connection: Keep-Alive\r\n\r\n"));

    private readonly IPAddress _nat64 = IPAddress.Parse("64:ff9b::c633:6442");
    private readonly IPAddress _public = IPAddress.Parse("93.184.216.34");
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private EgressPolicy _policy = null!;
    private Target _target = null!;
    private ClientIdentity _client = null!;
    private IpRangeIndex _guard = null!;
    private ProxyExchange _exchange = null!;
    private Utf8JsonWriter _json = null!;

    private sealed class FixedResolver : IResolver
    {
        private static readonly Resolution.Resolution Answer = new([IPAddress.Parse("93.184.216.34"), IPAddress.Parse("2606:2800:220:1::1")], [], ResolutionError.None, null, TimeSpan.FromHours(1));

        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) => ValueTask.FromResult(Answer);
    }

    [GlobalSetup]
    public void Setup()
    {
        var builder = new IpRangeIndexBuilder();
        Synthetic.AddRandomRanges(builder, 1_000_000, seed: 5);
        var snapshot = new PolicySnapshot(builder.Build(), DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1);
        _policy = new EgressPolicy(new PolicyHolder(snapshot), new CachingResolver(new FixedResolver(), new DnsOptions(), TimeProvider.System), AddressPreference.IPv4);
        TargetParser.TryParseAuthority("www.example.com:443", -1, out _target, out _);
        _client = new ClientIdentity(IPAddress.Parse("10.1.2.3"));
        _guard = PolicyLoader.BuildGuard();
        _policy.DecideAsync(_target, _client, default).AsTask().GetAwaiter().GetResult();
        _exchange = new ProxyExchange
        {
            Time = DateTimeOffset.UtcNow,
            StartTimestamp = 0,
            Method = "CONNECT",
            Client = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 51234),
            TraceId = ActivityTraceId.CreateRandom(),
            Decision = _policy.DecideAsync(_target, _client, default).AsTask().GetAwaiter().GetResult(),
            Dialed = new IPEndPoint(_public, 443),
            Status = 200,
            BytesUp = 1234,
            BytesDown = 56789,
            Duration = TimeSpan.FromMilliseconds(12.3),
        };
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    [Benchmark]
    public bool ParseConnectHead() => ConnectHeadParser.TryParse(Head, 16384, out _, out _, out _) == HeadParseStatus.Complete;

    [Benchmark]
    public int NormaliseEmbedded() => AddressNormalizer.EmbeddedIPv4(_nat64).Length;

    [Benchmark]
    public bool ClassifyGuard() => _guard.Contains(_public);

    [Benchmark]
    public object DecideAllowedCached() => _policy.DecideAsync(_target, _client, default).GetAwaiter().GetResult();

    [Benchmark]
    public long SerialiseDecisionLine()
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        DecisionLogFormatter.Write(_json, _exchange);
        _json.Flush();
        return _json.BytesCommitted;
    }
}
