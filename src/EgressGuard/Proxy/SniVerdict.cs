namespace EgressGuard.Proxy;

/// <summary>The SNI check's outcome and, when the tunnel must close, the error type to close it with.</summary>
internal readonly record struct SniVerdict(SniOutcome Outcome, string? ErrorType);
