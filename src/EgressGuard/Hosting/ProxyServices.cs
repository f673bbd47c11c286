using EgressGuard.Clients;
using EgressGuard.Dialing;
using EgressGuard.Exchange;
using EgressGuard.Forwarding;
using EgressGuard.Identity;
using EgressGuard.Interception;
using EgressGuard.Proxy;
using EgressGuard.Quarantine;
using EgressGuard.Tunnels;

namespace EgressGuard.Hosting;

/// <summary>The exchange pipeline and what it stands on: identity, dialling, tunnels, interception, the CONNECT path, forwarding, the client-facing pages.</summary>
internal static class ProxyServices
{
    public static IServiceCollection AddEgressGuardIdentity(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(sp => new ProxyAuthenticator(
            settings.Auth,
            sp.GetRequiredService<ConfigPaths>().Resolve(settings.Auth.UsersFile),
            settings.TrustedClients,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.Identity"),
            NegotiateSetup.Create(settings.Auth, sp.GetRequiredService<ConfigPaths>()),
            DirectorySetup.Create(settings.UserDirectory, sp.GetRequiredService<ConfigPaths>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()),
            IdentityMapSetup.Create(settings.Identity, sp.GetRequiredService<ConfigPaths>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>())));
        return services;
    }

    public static IServiceCollection AddEgressGuardDialing(this IServiceCollection services, EgressGuardSettings settings, ConfigPaths paths)
    {
        services.AddSingleton(new DialerOptions
        {
            ConnectTimeout = settings.Proxy.ConnectTimeout,
            IdleTimeout = settings.Proxy.IdleTimeout,
            PooledConnectionLifetime = settings.Proxy.PooledConnectionLifetime,
            UpstreamCaFile = settings.Tls.Intercept.UpstreamCaFile is { Length: > 0 } ca ? paths.Resolve(ca) : null,
            Parents = settings.Parents,
        });
        services.AddSingleton<Dialer>();
        services.AddSingleton<UpstreamHttpClient>();
        return services;
    }

    public static IServiceCollection AddEgressGuardTunnels(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton<TunnelRegistry>();
        services.AddSingleton(sp => new TunnelRunner(sp.GetRequiredService<TunnelRegistry>(), sp.GetRequiredService<QuarantineStore>(), sp.GetRequiredService<IPolicySource>(), sp.GetRequiredService<EgressGuardMetrics>(), sp.GetRequiredService<TimeProvider>(), settings.Proxy.MaxTunnelLifetime));

        // Before the feeds' first composition: its "policy in force" line counts live tunnels too.
        services.AddHostedService<TunnelEnforcer>();
        return services;
    }

    public static IServiceCollection AddEgressGuardInterception(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(settings.Tls.Intercept);
        services.AddSingleton<InterceptionMetrics>();
        services.AddSingleton<TlsInterceptor>();
        services.AddSingleton<InterceptedConnectionQueue>();
        services.AddSingleton<ITunnelCheck, InterceptionTunnelCheck>();
        services.AddSingleton<ITunnelCheck, BlindTunnelRecheck>();
        return services;
    }

    /// <summary>The steps every exchange shares (ARCHITECTURE.md, the exchange pipeline).</summary>
    public static IServiceCollection AddEgressGuardExchange(this IServiceCollection services)
    {
        services.AddSingleton<ExchangeFactory>();
        services.AddSingleton<Admission>();
        services.AddSingleton<DecideStep>();
        services.AddSingleton<RefusalLog>();
        services.AddSingleton<ExchangeCompletion>();
        return services;
    }

    public static IServiceCollection AddEgressGuardConnect(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(Options.Create(settings.Proxy));
        services.AddSingleton(settings.Tls);
        services.AddSingleton<ClientHelloInspection>();
        services.AddSingleton<InterceptionStep>();
        services.AddSingleton<ConnectSession>();
        services.AddSingleton(sp => new ConnectionLimiter(settings.Proxy, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ConnectGate>();
        services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, ProxyListenerFactory>();
        return services;
    }

    public static IServiceCollection AddEgressGuardForwarding(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddHttpForwarder();
        services.AddSingleton<ProxyResponseWriter>();
        services.AddSingleton(sp => new UpstreamForwarder(sp.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), sp.GetRequiredService<ProxyResponseWriter>(), sp.GetRequiredService<ViaHeader>(), sp.GetRequiredService<Dialer>(), settings.Proxy.UpstreamTimeout));
        services.AddSingleton(sp => new Forwarding.Lean.LeanPool(sp.GetRequiredService<TimeProvider>(), settings.Proxy.PooledConnectionLifetime));
        services.AddSingleton(sp => new Forwarding.Lean.LeanForwarder(
            sp.GetRequiredService<Dialer>(), sp.GetRequiredService<Forwarding.Lean.LeanPool>(), sp.GetRequiredService<ProxyResponseWriter>(), sp.GetRequiredService<ViaHeader>(),
            sp.GetRequiredService<TimeProvider>(), settings.Proxy.UpstreamTimeout, sp.GetRequiredService<ILogger<Forwarding.Lean.LeanForwarder>>()));
        services.AddSingleton<HttpForwardHandler>();
        services.AddSingleton<InterceptedRequestHandler>();
        services.AddSingleton<ViaHeader>();
        services.AddSingleton<RequestRouter>();
        return services;
    }

    public static IServiceCollection AddEgressGuardClients(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(sp => new BlockPage(settings.BlockPage, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new ProxyListeners(settings.Listeners));
        services.AddSingleton(new PacFile(settings.Pac, settings.Listeners[0].Endpoint, settings.Listeners[0].Tls.Enabled));
        return services;
    }
}
