using EgressGuard.Dialing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Tls;
using EgressGuard.Tunnels;

namespace EgressGuard.Interception;

/// <summary>
/// TLS interception for allowed tunnels: chooses (mode, bypass list, rules; see
/// <see cref="InterceptionPlanner"/>) and builds the <see cref="InterceptingPump"/> that replaces
/// the byte pump. Holds the CA and the leaf cache; absent entirely while <c>Tls:Intercept:Mode</c>
/// is off.
/// </summary>
internal sealed class TlsInterceptor : IDisposable
{
    private readonly InterceptOptions _options;
    private readonly DestinationList _bypass;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private readonly UpstreamHttpClient _upstream;

    public TlsInterceptor(InterceptOptions options, ConfigPaths paths, UpstreamHttpClient upstream, InterceptionMetrics metrics, TimeProvider time, ILoggerFactory loggers)
    {
        _upstream = upstream;
        _options = options;
        _time = time;
        _logger = loggers.CreateLogger("EgressGuard.Interception");
        _bypass = DestinationList.Parse(_options.Bypass, InterceptionValidation.Bypass, []);
        if (_options.ParsedMode != InterceptMode.Off)
        {
            // Validated at start (InterceptionValidation): a failure here is a file changed since.
            Authority = InterceptionAuthority.Load(paths.Resolve(_options.CaCertificate), paths.Resolve(_options.CaKey), _options.LeafLifetime, _options.CacheSize, time, out var error)
                ?? throw new InvalidOperationException("Tls:Intercept: " + error);
            metrics.Observe(Authority);
        }
    }

    /// <summary>The CA and leaf cache; null while interception is off.</summary>
    public InterceptionAuthority? Authority { get; }

    public bool Enabled => Authority is not null;

    public InterceptChoice Choose(PolicySnapshot snapshot, ProxyExchange exchange, Decision decision, string? serverName, IPEndPoint dialed) =>
        Choose(snapshot, exchange.Identity, decision, serverName, dialed.Address);

    public InterceptChoice Choose(PolicySnapshot snapshot, ClientIdentity client, Decision decision, string? serverName, IPAddress dialed) =>
        InterceptionPlanner.Choose(_options.ParsedMode, _bypass, snapshot, decision, serverName, dialed, client, _time.GetUtcNow());

    /// <summary>
    /// The pump that decrypts this tunnel; it owns <paramref name="upstream"/> from here on (the
    /// first inner request's connection uses it). The leaf names the SNI, else the CONNECT host.
    /// </summary>
    public ITunnelPump CreatePump(IInterceptableClient client, ProxyExchange exchange, Decision decision, Target target, string? serverName, Socket upstream, IPEndPoint dialed, long dialedAt, Activity? activity)
    {
        var name = serverName is { Length: > 0 } && TargetParser.TryParseAuthority($"{serverName}:{target.Port}", target.Port, out var sni, out _) ? sni.Host : target.Host;
        var certificate = Authority!.Get(name);
        var preDialed = new PreDialedSocket(upstream, dialed, dialedAt, _time);
        var tunnel = new InterceptedTunnel
        {
            Connect = exchange,
            Target = target,
            Decision = decision with { Approved = [dialed.Address] },
            Upstream = preDialed,
            Invoker = _upstream.CreateTunnelInvoker(preDialed),
            ParentId = activity?.Id,
        };
        return new InterceptingPump(client, tunnel, certificate, _options.HandshakeTimeout, _time, _logger);
    }

    public void Dispose() => Authority?.Dispose();
}
