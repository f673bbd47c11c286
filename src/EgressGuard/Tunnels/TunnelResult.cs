namespace EgressGuard.Tunnels;

/// <summary>How a tunnel ended and how many bytes crossed it.</summary>
internal readonly record struct TunnelResult(long BytesUp, long BytesDown, string? ErrorType);
