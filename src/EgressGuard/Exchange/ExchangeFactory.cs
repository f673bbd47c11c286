namespace EgressGuard.Exchange;

/// <summary>
/// Starts the record of one exchange (a CONNECT, a forwarded request, a request inside an
/// intercepted tunnel, or a refusal before any of these): the clock starts and the client's
/// address is canonical (IPv4 as IPv4, however the socket reported it) from here on.
/// </summary>
internal sealed class ExchangeFactory
{
    private readonly TimeProvider _time;

    public ExchangeFactory(TimeProvider time) => _time = time;

    public ProxyExchange Create(EndPoint? client, string method, ActivityTraceId traceId) => new()
    {
        Time = _time.GetUtcNow(),
        StartTimestamp = _time.GetTimestamp(),
        Method = method,
        Client = AddressNormalizer.Canonicalize(client),
        TraceId = traceId,
    };

    public ProxyExchange Create(HttpContext context, ActivityTraceId traceId)
    {
        var remote = context.Connection.RemoteIpAddress;
        var exchange = Create(remote is null ? null : new IPEndPoint(remote, context.Connection.RemotePort), context.Request.Method, traceId);
        exchange.UserAgent = context.Request.Headers.UserAgent.Count > 0 ? context.Request.Headers.UserAgent.ToString() : null;
        return exchange;
    }
}
