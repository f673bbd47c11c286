using EgressGuard.Tunnels;
using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Forwarding;

/// <summary>
/// Puts an upgraded plain-HTTP request (<c>Upgrade: websocket</c> answered <c>101</c>) under the
/// tunnel controls. It stands in for the server's <see cref="IHttpUpgradeFeature"/>: when YARP
/// upgrades the client side, the exchange is run by the <see cref="TunnelRunner"/> like a CONNECT
/// tunnel — registered, so a rule or feed change that denies the destination and a quarantine of
/// the client close it; closed at <c>Proxy:MaxTunnelLifetime</c>. Closing aborts the client's
/// connection, which cancels YARP's copy both ways and closes the upstream connection with it.
/// </summary>
internal sealed class UpgradeWatch : IHttpUpgradeFeature, ITunnelPump, IAsyncDisposable
{
    private readonly HttpContext _context;
    private readonly IHttpUpgradeFeature _inner;
    private readonly ProxyExchange _exchange;
    private readonly PolicySnapshot _decidedUnder;
    private readonly TunnelRunner _runner;
    private readonly TaskCompletionSource<TunnelResult> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UpgradedStream? _stream;
    private Task? _run;
    private string? _closedWith;

    private UpgradeWatch(HttpContext context, IHttpUpgradeFeature inner, ProxyExchange exchange, PolicySnapshot decidedUnder, TunnelRunner runner)
    {
        _context = context;
        _inner = inner;
        _exchange = exchange;
        _decidedUnder = decidedUnder;
        _runner = runner;
    }

    /// <summary>Watches <paramref name="context"/>'s request when it asks for an upgrade; null (nothing to do) otherwise.</summary>
    public static UpgradeWatch? Start(HttpContext context, ProxyExchange exchange, PolicySnapshot decidedUnder, TunnelRunner runner)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } inner)
        {
            return null;
        }

        var watch = new UpgradeWatch(context, inner, exchange, decidedUnder, runner);
        context.Features.Set<IHttpUpgradeFeature>(watch);
        return watch;
    }

    public bool IsUpgradableRequest => _inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        _stream = new UpgradedStream(await _inner.UpgradeAsync().ConfigureAwait(false));

        // From here the exchange is a tunnel: the runner registers it and may close it at once
        // (a policy swapped in since the decision, a quarantine since).
        _run = _runner.RunAsync(_exchange, this, _decidedUnder);
        return _stream;
    }

    /// <summary>Ends the tunnel's run once YARP has stopped piping (the request is over).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_run is null)
        {
            return;
        }

        _ended.TrySetResult(new TunnelResult(_stream!.BytesUp, _stream.BytesDown, Volatile.Read(ref _closedWith)));
        await _run.ConfigureAwait(false);
        if (Volatile.Read(ref _closedWith) is { } closedWith)
        {
            // YARP saw a cancelled copy; the line says why it was cancelled.
            _exchange.ErrorType = closedWith;
        }
    }

    Task<TunnelResult> ITunnelPump.RunAsync() => _ended.Task;

    void ITunnelPump.Close(string errorType)
    {
        Interlocked.CompareExchange(ref _closedWith, errorType, null);
        _context.Abort();
    }

    void IDisposable.Dispose()
    {
    }
}
