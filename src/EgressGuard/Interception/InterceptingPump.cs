using System.Net.Security;
using System.Security.Authentication;
using EgressGuard.Tunnels;
using Microsoft.AspNetCore.Connections;

namespace EgressGuard.Interception;

/// <summary>
/// An intercepted tunnel, in place of the byte pump: TLS server handshake with the minted
/// certificate, then the decrypted connection goes to Kestrel's HTTP pipeline, whose requests the
/// forwarder sends on to the CONNECT's address. Registered like any tunnel: a policy change,
/// quarantine or the lifetime cap closes it.
/// </summary>
internal sealed partial class InterceptingPump : ITunnelPump
{
    private readonly IInterceptableClient _client;
    private readonly InterceptedTunnel _tunnel;
    private readonly SslStreamCertificateContext _certificate;
    private readonly TimeSpan _handshakeTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private InterceptedConnection? _connection;
    private string? _errorType;

    public InterceptingPump(IInterceptableClient client, InterceptedTunnel tunnel, SslStreamCertificateContext certificate, TimeSpan handshakeTimeout, TimeProvider time, ILogger logger)
    {
        _client = client;
        _tunnel = tunnel;
        _certificate = certificate;
        _handshakeTimeout = handshakeTimeout;
        _time = time;
        _logger = logger;
    }

    public async Task<TunnelResult> RunAsync()
    {
        var stream = _client.OpenStream();
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = new CancellationTokenSource(_handshakeTimeout, _time);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _closing.Token);
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                    ClientCertificateRequired = false,
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                },
                cancel.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // Most often: the client does not trust the CA, or pins its server's certificate.
            await tls.DisposeAsync();
            var error = _closing.IsCancellationRequested ? _errorType : ex is OperationCanceledException ? ErrorTypes.TlsHandshakeTimeout : ErrorTypes.TlsClientHandshake;
            LogHandshakeFailed(_logger, _tunnel.Target.ToString(), _tunnel.Connect.Client?.Address.ToString() ?? "-", ex.Message);
            return new TunnelResult(stream.BytesRead, stream.BytesWritten, error);
        }

        var connection = new InterceptedConnection(tls, _tunnel, _tunnel.Connect.Client, null, _client.Abort);
        Volatile.Write(ref _connection, connection);
        if (_closing.IsCancellationRequested)
        {
            connection.Abort(new ConnectionAbortedException(_errorType ?? "closed"));
        }

        await _client.RunInterceptedAsync(connection);
        return new TunnelResult(stream.BytesRead, stream.BytesWritten, Volatile.Read(ref _errorType));
    }

    public void Close(string errorType)
    {
        Interlocked.CompareExchange(ref _errorType, errorType, null);
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        Volatile.Read(ref _connection)?.Abort(new ConnectionAbortedException(errorType));
        _client.Abort();
    }

    public void Dispose()
    {
        _tunnel.Invoker.Dispose();
        _tunnel.Upstream.Dispose();
        _closing.Dispose();
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Intercepted tunnel to {Target} from {Client}: the client refused the TLS handshake ({Error}); if this application pins certificates, add the host to Tls:Intercept:Bypass")]
    private static partial void LogHandshakeFailed(ILogger logger, string target, string client, string error);
}
