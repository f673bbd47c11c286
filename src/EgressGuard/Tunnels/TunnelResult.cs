namespace EgressGuard.Tunnels;

/// <summary>How a tunnel ended, how many bytes crossed it, and how they were moved (<c>splice</c>, <c>copy</c>, <c>pipe</c>; null: not a blind tunnel).</summary>
internal readonly record struct TunnelResult(long BytesUp, long BytesDown, string? ErrorType, string? Relay = null);
