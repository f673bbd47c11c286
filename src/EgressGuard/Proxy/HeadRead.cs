namespace EgressGuard.Proxy;

/// <summary>How reading a CONNECT head ended.</summary>
internal readonly record struct HeadRead(HeadParseStatus Status, ConnectHead? Head, string Error, string? RequestLine, bool TimedOut, bool Closed);
