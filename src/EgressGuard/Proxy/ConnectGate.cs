using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace EgressGuard.Proxy;

/// <summary>
/// Kestrel connection middleware in front of the HTTP pipeline. Plaintext CONNECT connections
/// normally never get here (<see cref="ProxyConnectionListener"/> takes them at accept); this gate
/// handles CONNECT on the TLS listener (after the handshake) and whatever the listener could not
/// classify from its first peek:
/// 1. refuse a client outside the trusted ranges before a byte is parsed;
/// 2. peek at the first bytes; anything that is not <c>CONNECT </c> is un-read and handed to the
///    HTTP pipeline untouched;
/// 3. otherwise run the <see cref="ConnectSession"/> on the connection's pipes.
/// </summary>
internal sealed class ConnectGate
{
    private static ReadOnlySpan<byte> ConnectPrefix => "CONNECT "u8;

    private readonly ConnectSession _session;
    private readonly TimeProvider _time;
    private readonly TimeSpan _headTimeout;
    private readonly ConnectionLimiter _limiter;

    public ConnectGate(ConnectSession session, ConnectionLimiter limiter, TimeProvider time, Microsoft.Extensions.Options.IOptions<ProxyOptions> options)
    {
        _limiter = limiter;
        _session = session;
        _time = time;
        _headTimeout = options.Value.HeadTimeout;
    }

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        try
        {
            await HandleAsync(connection, next);
        }
        finally
        {
            // The listener took a connection-limit slot for this connection: give it back.
            if (connection.Items.TryGetValue(ProxyConnectionListener.LimiterSlot, out var address))
            {
                connection.Items.Remove(ProxyConnectionListener.LimiterSlot);
                _limiter.Release(address as System.Net.IPAddress);
            }
        }
    }

    private async Task HandleAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        // 0. The decrypted side of an intercepted tunnel (from the raw listener): its requests go
        //    straight to the HTTP pipeline; the tunnel's CONNECT was decided already.
        if (connection.Features.Get<Interception.InterceptedTunnel>() is not null)
        {
            await next(connection);
            return;
        }

        // 1. Never an open relay.
        var client = new PipeConnectClient(connection, next);
        if (!_session.IsTrusted(client.Remote?.Address))
        {
            await _session.RefuseUntrustedAsync(client);
            return;
        }

        // 2. Peek.
        var input = connection.Transport.Input;
        using var peekTimeout = new CancellationTokenSource(_headTimeout, _time);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(peekTimeout.Token, connection.ConnectionClosed);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancel.Token);
                var kind = Classify(result.Buffer);
                if (kind == PrefixKind.Other || (kind == PrefixKind.Partial && result.IsCompleted))
                {
                    input.AdvanceTo(result.Buffer.Start);
                    await next(connection);
                    return;
                }

                if (kind == PrefixKind.Connect)
                {
                    // Un-read: the session reads the head from the start.
                    input.AdvanceTo(result.Buffer.Start);
                    break;
                }

                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Nothing or only part of "CONNECT " arrived in time: close without a word, as Kestrel does.
            return;
        }

        // 3. The CONNECT itself.
        await _session.RunAsync(client);
    }

    internal enum PrefixKind
    {
        Partial,
        Connect,
        Other,
    }

    internal static PrefixKind Classify(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[8];
        var length = (int)Math.Min(buffer.Length, first.Length);
        buffer.Slice(0, length).CopyTo(first);
        return Classify(first[..length]);
    }

    internal static PrefixKind Classify(ReadOnlySpan<byte> first)
    {
        if (!ConnectPrefix.StartsWith(first))
        {
            return PrefixKind.Other;
        }

        return first.Length == ConnectPrefix.Length ? PrefixKind.Connect : PrefixKind.Partial;
    }
}
