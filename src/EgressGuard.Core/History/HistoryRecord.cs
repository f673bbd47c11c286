using System.Net;

namespace EgressGuard.History;

/// <summary>One decided request or tunnel as the history keeps it (a copy: the proxy path hands it over and forgets it).</summary>
internal sealed record HistoryRecord
{
    public required DateTimeOffset Time { get; init; }

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
