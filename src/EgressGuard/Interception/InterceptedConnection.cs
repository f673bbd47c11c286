using System.IO.Pipelines;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Interception;

/// <summary>
/// The decrypted side of an intercepted tunnel as a Kestrel connection: Kestrel's HTTP/1.1
/// pipeline reads the client's inner requests from it as from any connection, and the
/// <see cref="InterceptedTunnel"/> feature tells the forwarder whose tunnel they came through.
/// Aborting it (policy change, quarantine, lifetime, shutdown) closes the TLS stream under Kestrel.
/// </summary>
internal sealed class InterceptedConnection : ConnectionContext, IConnectionIdFeature, IConnectionItemsFeature, IConnectionTransportFeature, IConnectionEndPointFeature, IConnectionLifetimeFeature
{
    private static long _nextId;

    private readonly SslStream _tls;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposing;

    private readonly Action _abortCarrier;

    /// <param name="abortCarrier">Cuts the client's connection under the TLS stream (disposing the stream alone does not fail a pending read on it).</param>
    public InterceptedConnection(SslStream tls, InterceptedTunnel tunnel, EndPoint? remote, EndPoint? local, Action abortCarrier)
    {
        _tls = tls;
        _abortCarrier = abortCarrier;
        ConnectionId = "egi-" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        Transport = new DuplexPipe(
            PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true)));
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set(tunnel);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException();
    }

    /// <summary>Completes when Kestrel is done with the connection (it disposes it) and the TLS stream is closed.</summary>
    public Task Completed => _disposed.Task;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        // Cutting the carrier fails Kestrel's pending read at once; the token tells whoever listens.
        _abortCarrier();
        _tls.Dispose();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            await _disposed.Task;
            await base.DisposeAsync();
            return;
        }

        try
        {
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            // close_notify, so that the client sees a clean end rather than a truncation.
            await _tls.ShutdownAsync().WaitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
        }
        finally
        {
            await _tls.DisposeAsync();
            // Completed first: the tunnel's line must be written even if a ConnectionClosed callback throws.
            _disposed.TrySetResult();
            try
            {
                _closed.Cancel();
            }
            finally
            {
                _closed.Dispose();
            }
        }

        await base.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
