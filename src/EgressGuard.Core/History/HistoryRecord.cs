namespace EgressGuard.History;

/// <summary>
/// One decided request or tunnel as the history keeps it (a copy: the proxy path hands it over and
/// forgets it) — or, once the writer has folded a batch, several identical ones: same source, user,
/// destination, addresses and outcome, with <see cref="Count"/>, first and last time, summed bytes.
/// </summary>
/// <remarks>
/// A struct that refers only to objects the request already has (its decision, often the cached one
/// shared by every request to the same destination): queueing one allocates nothing, so a second of
/// queued records does not push thousands of small objects into the older GC generations.
/// </remarks>
internal readonly record struct HistoryRecord
{
    public required DateTimeOffset Time { get; init; }

    /// <summary>The last of the folded requests (null for a single one).</summary>
    public DateTimeOffset? LastTime { get; init; }

    /// <summary>Requests this record stands for (0 is read as 1: a struct's default).</summary>
    public long Count { get => _count == 0 ? 1 : _count; init => _count = value; }

    private readonly long _count;

    /// <summary>
    /// The client address, kept as a number: the proxy path makes a fresh <see cref="IPAddress"/>
    /// per request, and a queued reference to it would keep that young object alive into older GC
    /// generations. Materialised again on the writer's thread.
    /// </summary>
    public IPAddress? Client
    {
        get => _clientKind == 0 ? null : Addressing.IpNumber.ToAddress(_clientKind == 4, _client);
        init
        {
            _clientKind = value is null ? (byte)0 : value.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? (byte)4 : (byte)6;
            _client = value is null ? default : Addressing.IpNumber.ToNumber(value);
        }
    }

    /// <summary>The client address as (family, number), for folding without materialising it.</summary>
    internal (byte Kind, UInt128 Number) ClientKey => (_clientKind, _client);

    private readonly UInt128 _client;

    private readonly byte _clientKind;

    public int ClientPort { get; init; }

    public string? User { get; init; }

    /// <summary>
    /// The user's groups when the request was decided (users file and directory): an investigation
    /// months later asks what the person was entitled to then, not what the directory says now.
    /// </summary>
    public IReadOnlyList<string> Groups { get => _groups ?? []; init => _groups = value; }

    private readonly IReadOnlyList<string>? _groups;

    public required string Method { get; init; }

    public string? Host { get; init; }

    public int Port { get; init; }

    public IReadOnlyList<IPAddress> Addresses { get => _addresses ?? []; init => _addresses = value; }

    public IReadOnlyList<string> Cnames { get => _cnames ?? []; init => _cnames = value; }

    private readonly IReadOnlyList<IPAddress>? _addresses;

    private readonly IReadOnlyList<string>? _cnames;

    public IPAddress? Dialed { get; init; }

    public required string Decision { get; init; }

    public string? Reason { get; init; }

    public string? Rule { get; init; }

    public string? Entry { get; init; }

    public string? Feed { get; init; }

    /// <summary><c>egressguard.upstream</c>: the parent that carried the exchange, or <c>direct</c>; null when no parent is configured (or nothing was dialled).</summary>
    public string? Upstream { get; init; }

    public int Status { get; init; }

    public long BytesUp { get; init; }

    public long BytesDown { get; init; }

    public double DurationMs { get; init; }

    public System.Diagnostics.ActivityTraceId TraceId { get; init; }
}
