namespace EgressGuard.Alerts;

/// <summary>
/// Sends alerts as RFC 5424 messages over UDP (one datagram each, RFC 5426) or TCP (RFC 6587 octet
/// counting: <c>LENGTH SP MESSAGE</c>), reconnecting after a failure. Its own socket: never the
/// client dialer.
/// </summary>
internal sealed class SyslogSink : IAlertSink
{
    private readonly SyslogOptions _options;
    private readonly bool _tcp;
    private readonly string _host;
    private readonly int _port;
    private readonly string _hostName = Dns.GetHostName();
    private readonly int _processId = Environment.ProcessId;
    private Socket? _socket;

    public SyslogSink(SyslogOptions options)
    {
        _options = options;
        var uri = new Uri(options.Address!);
        _tcp = uri.Scheme == "tcp";
        _host = uri.Host.Trim('[', ']');
        _port = uri.Port;
        Name = $"syslog {uri.Scheme}://{uri.Authority}";
    }

    public string Name { get; }

    public async Task<DeliveryResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var message = Encoding.UTF8.GetBytes(SyslogFormatter.Format(alert, _options.Facility, _hostName, _options.AppName, _processId));
        try
        {
            var socket = _socket ??= await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (_tcp)
            {
                var frame = Encoding.ASCII.GetBytes($"{message.Length} ");
                await socket.SendAsync(frame.Concat(message).ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.SendAsync(message, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            return DeliveryResult.Ok;
        }
        catch (SocketException ex)
        {
            _socket?.Dispose();
            _socket = null;
            return DeliveryResult.Retry(ex.SocketErrorCode.ToString());
        }
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(_host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(_host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var endpoint = new IPEndPoint(addresses[0], _port);
        var socket = _tcp
            ? new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        return ValueTask.CompletedTask;
    }
}
