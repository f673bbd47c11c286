using System.Net;

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

    public IPAddress? Client { get; init; }

    public int ClientPort { get; init; }

    public string? User { get; init; }

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

    public int Status { get; init; }

    public long BytesUp { get; init; }

    public long BytesDown { get; init; }

    public double DurationMs { get; init; }

    public System.Diagnostics.ActivityTraceId TraceId { get; init; }
}
