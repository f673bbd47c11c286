using System.Security.Cryptography.X509Certificates;
using EgressGuard.Tunnels;

namespace EgressGuard.Proxy;

/// <summary>
/// A CONNECT client on its raw socket (plaintext listener): the head is read into a pooled
/// buffer, whatever follows it in the same reads is handed to the pump as the first upstream bytes.
/// </summary>
internal sealed class SocketConnectClient : IConnectClient, IDisposable
{
    private readonly Socket _socket;
    private readonly Interception.InterceptedConnectionQueue? _intercepted;
    private byte[]? _buffer;
    private int _length;
    private int _headEnd;

    /// <param name="intercepted">Where a decrypted connection goes to Kestrel; null: interception unavailable.</param>
    public SocketConnectClient(Socket socket, Interception.InterceptedConnectionQueue? intercepted = null)
    {
        _socket = socket;
        _intercepted = intercepted;
        Remote = Addressing.AddressNormalizer.Canonicalize(socket.RemoteEndPoint);
    }

    public IPEndPoint? Remote { get; }

    public X509Certificate2? ClientCertificate => null;

    public async ValueTask<HeadRead> ReadHeadAsync(int maxBytes, CancellationToken timeout)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 4096);
        while (true)
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(_buffer.AsMemory(_length), SocketFlags.None, timeout);
            }
            catch (OperationCanceledException)
            {
                return new HeadRead(HeadParseStatus.Incomplete, null, "timeout", Line(), TimedOut: true, Closed: false);
            }

            _length += read;
            var sequence = new ReadOnlySequence<byte>(_buffer, 0, _length);
            var status = ConnectHeadParser.TryParse(sequence, maxBytes, out var head, out var end, out var error);
            if (status == HeadParseStatus.Complete)
            {
                _headEnd = end.GetInteger();
                return new HeadRead(status, head, string.Empty, Line(), false, false);
            }

            if (status == HeadParseStatus.Invalid || read == 0 || _length == _buffer.Length)
            {
                var closed = read == 0 && status != HeadParseStatus.Invalid;
                return new HeadRead(HeadParseStatus.Invalid, null, status == HeadParseStatus.Invalid ? error : $"request head larger than {maxBytes} bytes", Line(), false, closed);
            }
        }
    }

    public async ValueTask<ReadOnlyMemory<byte>> ReadEarlyAsync(int maxBytes, Func<ReadOnlyMemory<byte>, bool> enough, CancellationToken timeout)
    {
        // The early bytes stay in the head buffer after the head; CreatePump sends them upstream first.
        while (!enough(Early) && _length - _headEnd < maxBytes)
        {
            if (_length == _buffer!.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            int read;
            try
            {
                read = await _socket.ReceiveAsync(_buffer.AsMemory(_length, Math.Min(_buffer.Length - _length, _headEnd + maxBytes - _length)), SocketFlags.None, timeout);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            _length += read;
        }

        return Early;
    }

    private ReadOnlyMemory<byte> Early => _buffer.AsMemory(_headEnd, _length - _headEnd);

    private string? Line() => _length == 0 ? null : ConnectHeadParser.RequestLine(new ReadOnlySequence<byte>(_buffer!, 0, _length));

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public ValueTask CloseAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }

        return ValueTask.CompletedTask;
    }

    public ITunnelPump CreatePump(Socket upstream, TimeSpan idleTimeout, SpliceGrowth? splice, TimeProvider time)
    {
        // Bytes the client sent after its head (a TLS ClientHello, say) go upstream first; the head
        // buffer goes back to the pool now, not when the tunnel ends.
        var early = _length > _headEnd ? _buffer.AsSpan(_headEnd, _length - _headEnd).ToArray() : [];
        Dispose();
        return new SocketTunnelPump(_socket, upstream, early, idleTimeout, time, splice is not null, splice);
    }

    public Interception.TunnelClientStream OpenStream()
    {
        var early = _buffer is not null && _length > _headEnd ? _buffer.AsSpan(_headEnd, _length - _headEnd).ToArray() : [];
        Dispose();
        var network = new NetworkStream(_socket, ownsSocket: false);
        return new Interception.TunnelClientStream(network, network, early);
    }

    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async Task RunInterceptedAsync(Interception.InterceptedConnection connection)
    {
        if (_intercepted is null || !_intercepted.TryEnqueue(connection))
        {
            await connection.DisposeAsync(); // the listener is stopping
            return;
        }

        await connection.Completed;
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
