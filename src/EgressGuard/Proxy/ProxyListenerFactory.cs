using System.Net;
using System.Net.Sockets;
using EgressGuard.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace EgressGuard.Proxy;

/// <summary>Kestrel's transport for the proxy endpoint: binds the socket and runs <see cref="ProxyConnectionListener"/>.</summary>
internal sealed class ProxyListenerFactory : IConnectionListenerFactory
{
    private readonly ConnectSession _session;
    private readonly EgressGuardSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly SocketTransportOptions _transport;
    private readonly SelfEndpoints _self;
    private readonly ConnectionLimiter _limiter;

    public ProxyListenerFactory(ConnectSession session, EgressGuardSettings settings, SelfEndpoints self, ConnectionLimiter limiter, TimeProvider time, ILoggerFactory loggers, IOptions<SocketTransportOptions> transport)
    {
        _self = self;
        _limiter = limiter;
        _session = session;
        _settings = settings;
        _time = time;
        _loggers = loggers;
        _transport = transport.Value;
    }

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"EgressGuard listens on IP endpoints only, not {endpoint}");
        }

        var socket = Hosting.ListenerPreflight.Bind("Proxy:Listen", ip);

        socket.Listen(_transport.Backlog);
        _self.Register((IPEndPoint)socket.LocalEndPoint!);
        var contexts = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions
            {
                IOQueueCount = _transport.IOQueueCount,
                WaitForDataBeforeAllocatingBuffer = _transport.WaitForDataBeforeAllocatingBuffer,
                MaxReadBufferSize = _transport.MaxReadBufferSize,
                MaxWriteBufferSize = _transport.MaxWriteBufferSize,
                UnsafePreferInlineScheduling = _transport.UnsafePreferInlineScheduling,
            },
            _loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        IConnectionListener listener = new ProxyConnectionListener(socket, contexts, _session, _limiter, peek: !_settings.Proxy.Tls.Enabled, _settings.Proxy.HeadTimeout, _settings.Proxy.DrainTimeout, _time);
        return ValueTask.FromResult(listener);
    }
}
