namespace EgressGuard.Interception;

/// <summary>
/// The client side of a tunnel as one stream for the TLS server handshake: bytes already read
/// while peeking at the ClientHello come first, then the connection itself. Counts both ways
/// (the tunnel's encrypted bytes, for its decision line).
/// </summary>
internal sealed class TunnelClientStream : Stream
{
    private readonly Stream _reader;
    private readonly Stream _writer;
    private ReadOnlyMemory<byte> _prefix;
    private long _read;
    private long _written;

    public TunnelClientStream(Stream reader, Stream writer, ReadOnlyMemory<byte> prefix)
    {
        _reader = reader;
        _writer = writer;
        _prefix = prefix;
    }

    public long BytesRead => Interlocked.Read(ref _read);

    public long BytesWritten => Interlocked.Read(ref _written);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        if (!_prefix.IsEmpty)
        {
            read = Math.Min(buffer.Length, _prefix.Length);
            _prefix[..read].CopyTo(buffer);
            _prefix = _prefix[read..];
        }
        else
        {
            read = await _reader.ReadAsync(buffer, cancellationToken);
        }

        Interlocked.Add(ref _read, read);
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writer.WriteAsync(buffer, cancellationToken);
        Interlocked.Add(ref _written, buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    public override void Flush() => _writer.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _reader.Dispose();
            if (!ReferenceEquals(_reader, _writer))
            {
                _writer.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
