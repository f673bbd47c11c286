using System.Net;

namespace EgressGuard.History;

/// <summary>
/// One decided request or tunnel as the history keeps it (a copy: the proxy path hands it over and
/// forgets it) — or, once the writer has folded a batch, several identical ones: same source, user,
/// destination, addresses and outcome, with <see cref="Count"/>, first and last time, summed bytes.
/// </summary>
internal sealed record HistoryRecord
{
    public required DateTimeOffset Time { get; init; }

    /// <summary>The last of the folded requests (null for a single one).</summary>
    public DateTimeOffset? LastTime { get; init; }

    public long Count { get; init; } = 1;

    public IPAddress? Client { get; init; }

    public int ClientPort { get; init; }

    public string? User { get; init; }

    public required string Method { get; init; }

    public string? Host { get; init; }

    public int Port { get; init; }

    public IReadOnlyList<IPAddress> Addresses { get; init; } = [];

    public IReadOnlyList<string> Cnames { get; init; } = [];

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

    public string? TraceId { get; init; }
}
