using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace EgressGuard.Proxy;

/// <summary>How reading a CONNECT head ended.</summary>
internal readonly record struct HeadRead(HeadParseStatus Status, ConnectHead? Head, string Error, string? RequestLine, bool TimedOut, bool Closed);

/// <summary>
/// The client side of a CONNECT, whatever carries it: Kestrel's connection pipes (TLS listener,
/// fallback) or the raw socket (the fast path). <see cref="ConnectSession"/> runs the same steps
/// on either.
/// </summary>
internal interface IConnectClient
{
    IPEndPoint? Remote { get; }

    X509Certificate2? ClientCertificate { get; }

    ValueTask<HeadRead> ReadHeadAsync(int maxBytes, CancellationToken timeout);

    ValueTask WriteAsync(ReadOnlyMemory<byte> bytes);

    /// <summary>
    /// After the 200: the client's first bytes, read until <paramref name="enough"/> says so, the
    /// client stops, <paramref name="maxBytes"/> or the timeout. They are not consumed: the pump still
    /// sends them upstream first.
    /// </summary>
    ValueTask<ReadOnlyMemory<byte>> ReadEarlyAsync(int maxBytes, Func<ReadOnlyMemory<byte>, bool> enough, CancellationToken timeout);

    /// <summary>After a refusal: flush and close the client side.</summary>
    ValueTask CloseAsync();

    ITunnelPump CreatePump(Socket upstream, TimeSpan idleTimeout, TimeProvider time);

    /// <summary>
    /// For interception, after the 200: the client's side as a stream, the early bytes (not
    /// consumed by <see cref="ReadEarlyAsync"/>) first. Not owned: the connection stays the carrier's.
    /// </summary>
    Interception.TunnelClientStream OpenStream();

    /// <summary>Cuts the client's connection at once (an intercepted tunnel closed by policy, quarantine or lifetime).</summary>
    void Abort();

    /// <summary>Runs Kestrel's HTTP pipeline on the decrypted connection; completes when it is done with it.</summary>
    Task RunInterceptedAsync(Interception.InterceptedConnection connection);
}

/// <summary>A running tunnel: pumped both ways until one side ends, closable by the registry.</summary>
internal interface ITunnelPump : IDisposable
{
    Task<TunnelResult> RunAsync();

    void Close(string errorType);
}
