using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace EgressGuard.Proxy;

/// <summary>Kestrel's transport for the proxy endpoint: binds the socket and runs <see cref="ProxyConnectionListener"/>.</summary>
internal sealed class ProxyListenerFactory : IConnectionListenerFactory
{
    private readonly ConnectSession _session;
    private readonly ProxyOptions _options;
    private readonly Interception.InterceptedConnectionQueue _intercepted;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly SocketTransportOptions _transport;
    private readonly SelfEndpoints _self;
    private readonly ConnectionLimiter _limiter;
    private readonly ProxyListeners _listeners;

    public ProxyListenerFactory(ConnectSession session, IOptions<ProxyOptions> options, Interception.InterceptedConnectionQueue intercepted, SelfEndpoints self, ProxyListeners listeners, ConnectionLimiter limiter, TimeProvider time, ILoggerFactory loggers, IOptions<SocketTransportOptions> transport)
    {
        _self = self;
        _listeners = listeners;
        _limiter = limiter;
        _session = session;
        _options = options.Value;
        _intercepted = intercepted;
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

        var index = _listeners.IndexOf(ip);
        var entry = _listeners.All[index];
        var socket = ListenSocket.Bind(entry.Key, ip);

        socket.Listen(_transport.Backlog);
        // Every listener is registered, so a request to any of them is seen as a loop.
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        _self.Register(bound);
        _listeners.Bound(index, bound);
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
        IConnectionListener listener = new ProxyConnectionListener(socket, contexts, _session, _limiter, _intercepted, peek: !entry.Tls.Enabled, _options.HeadTimeout, _options.DrainTimeout, _time);
        return ValueTask.FromResult(listener);
    }
}
