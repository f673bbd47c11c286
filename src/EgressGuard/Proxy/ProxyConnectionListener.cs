using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace EgressGuard.Proxy;

/// <summary>
/// The proxy's own accept loop in front of Kestrel (see ARCHITECTURE.md for why):
/// 1. accept; refuse a connection over the caps, then a client outside the trusted ranges, at once;
/// 2. on a plaintext listener, peek (MSG_PEEK, nothing consumed) at the first bytes: a CONNECT is
///    run right here, socket to socket, by the <see cref="ConnectSession"/>;
/// 3. everything else (HTTP, a TLS listener, a head too short to classify) becomes a Kestrel
///    connection through Kestrel's own <see cref="SocketConnectionContextFactory"/>, with the
///    connection middleware and HTTP pipeline as usual.
/// </summary>
internal sealed class ProxyConnectionListener : IConnectionListener
{
    private readonly Socket _listen;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly ConnectSession _session;
    private readonly bool _peek;
    private readonly TimeSpan _peekTimeout;
    private readonly TimeProvider _time;
    private readonly Channel<ConnectionContext> _ready = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _raw = new();
    private readonly Task _acceptLoop;
    private readonly ConnectionLimiter _limiter;
    private readonly TimeSpan _drainTimeout;
    private readonly Interception.InterceptedConnectionQueue _intercepted;
    private readonly Task _interceptedLoop;

    /// <summary>The key under which a Kestrel connection carries the address its limiter slot was taken for.</summary>
    public const string LimiterSlot = "egressguard.limiter-slot";

    public ProxyConnectionListener(Socket listen, SocketConnectionContextFactory contexts, ConnectSession session, ConnectionLimiter limiter, Interception.InterceptedConnectionQueue intercepted, bool peek, TimeSpan peekTimeout, TimeSpan drainTimeout, TimeProvider time)
    {
        _drainTimeout = drainTimeout;
        _limiter = limiter;
        _listen = listen;
        _contexts = contexts;
        _session = session;
        _peek = peek;
        _peekTimeout = peekTimeout;
        _time = time;
        EndPoint = listen.LocalEndPoint!;
        _intercepted = intercepted;
        _acceptLoop = AcceptLoopAsync();
        _interceptedLoop = TakeInterceptedAsync(intercepted.Attach());
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await _ready.Reader.WaitToReadAsync(cancellationToken))
            {
                if (_ready.Reader.TryRead(out var connection))
                {
                    return connection;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    /// <summary>Decrypted connections of intercepted tunnels are accepted like new connections (the HTTP pipeline serves them).</summary>
    private async Task TakeInterceptedAsync(ChannelReader<ConnectionContext> reader)
    {
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                if (reader.TryRead(out var connection) && !_ready.Writer.TryWrite(connection))
                {
                    await connection.DisposeAsync(); // stopping
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listen.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                continue; // a client that reset during accept
            }

            socket.NoDelay = true;
            _ = RouteAsync(socket);
        }

        _ready.Writer.TryComplete();
    }

    private async Task RouteAsync(Socket socket)
    {
        var remote = Addressing.AddressNormalizer.Canonicalize(socket.RemoteEndPoint);
        var slot = false;
        try
        {
            // 1. Never more connections than the caps, whoever asks (an untrusted flood is capped
            //    too), then never an open relay. The slot is held while the refusal is written.
            if (!_limiter.TryAdmitRate(remote?.Address) || !_limiter.TryAcquire(remote?.Address))
            {
                await RunRawAsync(socket, RawKind.OverLimit);
                return;
            }

            slot = true;
            if (!_session.IsTrusted(remote?.Address))
            {
                await RunRawAsync(socket, RawKind.Untrusted);
                return;
            }

            // 2. Peek.
            if (_peek)
            {
                var first = new byte[8];
                int peeked;
                using (var timeout = new CancellationTokenSource(_peekTimeout, _time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token))
                {
                    peeked = await socket.ReceiveAsync(first, SocketFlags.Peek, linked.Token);
                }

                if (peeked == 0)
                {
                    socket.Dispose();
                    return;
                }

                if (ConnectGate.Classify(first.AsSpan(0, peeked)) == ConnectGate.PrefixKind.Connect)
                {
                    await RunRawAsync(socket, RawKind.Connect);
                    return;
                }
            }

            // 3. Kestrel; the connection middleware gives the slot back when the connection ends.
            var connection = _contexts.Create(socket);
            connection.Items[LimiterSlot] = remote?.Address;
            slot = false;
            if (!_ready.Writer.TryWrite(connection))
            {
                _limiter.Release(remote?.Address);
                socket.Dispose();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Nothing arrived in time, or the client went away: close without a word, as Kestrel does.
            socket.Dispose();
        }
        finally
        {
            if (slot)
            {
                _limiter.Release(remote?.Address);
            }
        }
    }

    private enum RawKind
    {
        Connect,
        Untrusted,
        OverLimit,
    }

    private async Task RunRawAsync(Socket socket, RawKind kind)
    {
        _raw[socket] = 0;
        try
        {
            using var client = new SocketConnectClient(socket, _intercepted);
            await (kind switch
            {
                RawKind.Untrusted => _session.RefuseUntrustedAsync(client),
                RawKind.OverLimit => _session.RefuseOverLimitAsync(client),
                _ => _session.RunAsync(client),
            });
        }
        finally
        {
            _raw.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    /// <summary>
    /// Stops accepting, then drains: live raw tunnels may finish until <c>Proxy:DrainTimeout</c>,
    /// then they are closed and their sessions write their log lines (the decision log stops after
    /// Kestrel, so none is lost).
    /// </summary>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _intercepted.Detach();
        await _stop.CancelAsync();
        _listen.Dispose();
        try
        {
            await _acceptLoop.WaitAsync(cancellationToken);
            await _interceptedLoop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        var started = _time.GetTimestamp();
        while (!_raw.IsEmpty && _time.GetElapsedTime(started) < _drainTimeout && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
        }

        foreach (var socket in _raw.Keys)
        {
            socket.Dispose();
        }

        for (var i = 0; i < 20 && !_raw.IsEmpty; i++)
        {
            await Task.Delay(50, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync();
        _stop.Dispose();
    }
}
