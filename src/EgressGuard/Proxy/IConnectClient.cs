using System.Security.Cryptography.X509Certificates;
using EgressGuard.Interception;
using EgressGuard.Tunnels;

namespace EgressGuard.Proxy;

/// <summary>
/// The client side of a CONNECT, whatever carries it: Kestrel's connection pipes (TLS listener,
/// fallback) or the raw socket (the fast path). <see cref="ConnectSession"/> runs the same steps
/// on either.
/// </summary>
internal interface IConnectClient : IInterceptableClient
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

    /// <param name="splice"><c>Proxy:Splice</c>: a raw socket may relay by splice(2), its bulk pipes growing within this budget; null: copy.</param>
    ITunnelPump CreatePump(Socket upstream, TimeSpan idleTimeout, Tunnels.SpliceGrowth? splice, TimeProvider time);
}
