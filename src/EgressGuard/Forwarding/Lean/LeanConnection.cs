using System.IO.Pipelines;

namespace EgressGuard.Forwarding.Lean;

/// <summary>One upstream HTTP/1.1 connection opened by the <see cref="Dialing.Dialer"/>, read and written through pipes over pooled buffers.</summary>
internal sealed class LeanConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private int _closed;

    public LeanConnection(Socket socket, IPEndPoint endpoint, long created)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Endpoint = endpoint;
        Created = created;
        Reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        Writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public IPEndPoint Endpoint { get; }

    public PipeReader Reader { get; }

    public PipeWriter Writer { get; }

    /// <summary>When it was opened (<see cref="TimeProvider.GetTimestamp"/>): connections are not reused past <c>Proxy:PooledConnectionLifetime</c>.</summary>
    public long Created { get; }

    /// <summary>When it was last returned to the pool.</summary>
    public long LastUsed { get; set; }

    /// <summary>True once it has carried a request: a failure before any response byte may then be the server's idle close.</summary>
    public bool Reused { get; set; }

    /// <summary>
    /// An idle connection must have nothing to read: readable means the server closed it (or sent
    /// bytes no request asked for), and either way it must not carry the next request.
    /// </summary>
    public bool LooksIdle()
    {
        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Ends the socket under whatever is waiting on it (a pending read fails at once); the pipes
    /// are left to <see cref="DisposeAsync"/> by their owner, since they are not thread-safe.
    /// </summary>
    public void Sever() => _stream.Dispose();

    /// <summary>True once <see cref="Close"/> or <see cref="DisposeAsync"/> ran.</summary>
    public bool Closed => Volatile.Read(ref _closed) != 0;

    /// <summary>Closes it without waiting: for idle connections, which have nothing left to flush.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, 1);
        Reader.Complete();
        Writer.Complete();
        _stream.Dispose();
    }

    /// <summary>
    /// Closes the socket first, then completes the pipes with an error: completing the writer
    /// normally would flush what is still buffered, with no timeout, to a server that may have
    /// stopped reading, and throw from the failure paths that call this.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, 1);
        await _stream.DisposeAsync().ConfigureAwait(false);
        var closed = new ObjectDisposedException(nameof(LeanConnection));
        try
        {
            await Reader.CompleteAsync(closed).ConfigureAwait(false);
            await Writer.CompleteAsync(closed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The socket is gone already; nothing of this connection is used again.
        }
    }
}
