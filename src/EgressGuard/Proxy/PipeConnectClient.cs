using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Proxy;

/// <summary>A CONNECT client on Kestrel's connection pipes (the TLS listener and the fallback path).</summary>
internal sealed class PipeConnectClient : IConnectClient
{
    private readonly ConnectionContext _connection;

    public PipeConnectClient(ConnectionContext connection)
    {
        _connection = connection;
        Remote = ConnectSession.Normalize(connection.RemoteEndPoint);
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
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout);
            }
            catch (OperationCanceledException)
            {
                // A cancelled read leaves nothing examined; what arrived is read again by the pump.
                return ReadOnlyMemory<byte>.Empty;
            }

            var buffer = result.Buffer;
            var early = System.Buffers.BuffersExtensions.ToArray(buffer.Slice(0, Math.Min(buffer.Length, maxBytes)));
            // Nothing consumed: the pump reads these bytes again and sends them upstream.
            if (enough(early) || result.IsCompleted || buffer.Length >= maxBytes)
            {
                input.AdvanceTo(buffer.Start);
                return early;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public ValueTask CloseAsync() => _connection.Transport.Output.CompleteAsync();

    public ITunnelPump CreatePump(Socket upstream, TimeSpan idleTimeout, TimeProvider time) =>
        new TunnelPump(_connection.Transport, upstream, idleTimeout, time);
}
