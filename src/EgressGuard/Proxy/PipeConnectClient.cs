using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using EgressGuard.Tunnels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Proxy;

/// <summary>A CONNECT client on Kestrel's connection pipes (the TLS listener and the fallback path).</summary>
internal sealed class PipeConnectClient : IConnectClient
{
    private readonly ConnectionContext _connection;
    private readonly ConnectionDelegate? _next;

    /// <param name="next">The rest of the connection pipeline (Kestrel's HTTP), for decrypted connections.</param>
    public PipeConnectClient(ConnectionContext connection, ConnectionDelegate? next = null)
    {
        _connection = connection;
        _next = next;
        Remote = Addressing.AddressNormalizer.Canonicalize(connection.RemoteEndPoint);
    }

    public IPEndPoint? Remote { get; }

    public X509Certificate2? ClientCertificate => _connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;

    public async ValueTask<HeadRead> ReadHeadAsync(int maxBytes, CancellationToken timeout)
    {
        var input = _connection.Transport.Input;
        string? requestLine = null;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout);
            }
            catch (OperationCanceledException)
            {
                return new HeadRead(HeadParseStatus.Incomplete, null, "timeout", requestLine, TimedOut: true, Closed: false);
            }

            var buffer = result.Buffer;
            requestLine = buffer.IsEmpty ? requestLine : ConnectHeadParser.RequestLine(buffer);
            var status = ConnectHeadParser.TryParse(buffer, maxBytes, out var head, out var end, out var error);
            if (status == HeadParseStatus.Complete)
            {
                input.AdvanceTo(end);
                return new HeadRead(status, head, string.Empty, requestLine, false, false);
            }

            if (status == HeadParseStatus.Invalid || result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return new HeadRead(status, null, error, requestLine, false, Closed: status != HeadParseStatus.Invalid);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => await _connection.Transport.Output.WriteAsync(bytes);

    public async ValueTask<ReadOnlyMemory<byte>> ReadEarlyAsync(int maxBytes, Func<ReadOnlyMemory<byte>, bool> enough, CancellationToken timeout)
    {
        var input = _connection.Transport.Input;
        // The timeout cancels the pending read rather than the call, so the last read still hands
        // back its buffer and can be marked unexamined: the pump's first read returns it at once.
        var gate = new Lock();
        var reading = true;
        var cancelled = false;
        using (timeout.Register(() =>
        {
            lock (gate)
            {
                if (reading)
                {
                    cancelled = true;
                    input.CancelPendingRead();
                }
            }
        }))
        {
            while (true)
            {
                var result = await input.ReadAsync(CancellationToken.None);
                var buffer = result.Buffer;
                var early = System.Buffers.BuffersExtensions.ToArray(buffer.Slice(0, Math.Min(buffer.Length, maxBytes)));
                if (result.IsCanceled || enough(early) || result.IsCompleted || buffer.Length >= maxBytes)
                {
                    bool pendingCancel;
                    lock (gate)
                    {
                        reading = false;
                        pendingCancel = cancelled && !result.IsCanceled;
                    }

                    // Nothing consumed, nothing examined: the pump reads these bytes again and sends them upstream.
                    input.AdvanceTo(buffer.Start);
                    if (pendingCancel && input.TryRead(out var stray))
                    {
                        // The timeout fired after this read completed: take its cancellation now, not in the pump.
                        input.AdvanceTo(stray.Buffer.Start);
                    }

                    return early;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    public ValueTask CloseAsync() => _connection.Transport.Output.CompleteAsync();

    public Interception.TunnelClientStream OpenStream() =>
        new(_connection.Transport.Input.AsStream(leaveOpen: true), _connection.Transport.Output.AsStream(leaveOpen: true), ReadOnlyMemory<byte>.Empty);

    public void Abort() => _connection.Abort(new ConnectionAbortedException("intercepted tunnel closed"));

    public async Task RunInterceptedAsync(Interception.InterceptedConnection connection)
    {
        try
        {
            if (_next is not null)
            {
                // Kestrel's HTTP pipeline expects the features Kestrel gives its own connections
                // (heartbeat for timeouts, lifetime notification for shutdown, its internal metrics
                // context): the outer connection's serve. Never its TLS features: those describe the
                // client's TLS to the proxy listener, not the decrypted tunnel.
                foreach (var (type, feature) in _connection.Features)
                {
                    if (connection.Features[type] is null && !type.Name.Contains("Tls", StringComparison.Ordinal) && !type.Name.Contains("Ssl", StringComparison.Ordinal))
                    {
                        connection.Features[type] = feature;
                    }
                }

                await _next(connection);
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    public ITunnelPump CreatePump(Socket upstream, TimeSpan idleTimeout, Tunnels.SpliceGrowth? splice, TimeProvider time) =>
        new TunnelPump(_connection.Transport, upstream, idleTimeout, time);
}
