using EgressGuard.Addressing;
using EgressGuard.Admin;
using EgressGuard.Alerts;
using EgressGuard.Clients;
using EgressGuard.Dialing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Proxy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using EgressGuard.Telemetry;
using EgressGuard.ThreatFeeds;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EgressGuard.Hosting;

/// <summary>
/// Builds the proxy: configuration (file → environment <c>EGRESSGUARD__</c> → command line), every
/// setting validated up front, services, and the Kestrel listener with the CONNECT gate in front
/// of the HTTP pipeline. Used by Program and by the functional tests alike.
/// </summary>
internal static class EgressGuardHost
{
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        // Request lines and headers end in CRLF only: a bare LF is where request smuggling hides.
        AppContext.SetSwitch("Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators", true);

        var (configFile, isExplicit, overrides) = CommandLine.Parse(args);
        var configPath = isExplicit ? Path.GetFullPath(configFile!) : CommandLine.FindDefaultConfig();
        if (isExplicit && !File.Exists(configPath))
        {
            throw new ConfigurationErrorsException([$"--config: file not found: {configPath}"]);
        }

        var hasFile = File.Exists(configPath);
        var paths = new ConfigPaths(hasFile ? configPath : null, hasFile ? Path.GetDirectoryName(configPath)! : Directory.GetCurrentDirectory());

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = overrides, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        var reader = new ConfigurationReader(hasFile ? configPath : null, overrides);
        reader.AddSources(builder.Configuration);

        EgressGuardSettings settings;
        try
        {
            settings = EgressGuardSettings.Load(builder.Configuration, paths);
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigurationErrorsException([$"{configPath}: {ex.Message}"]);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        // Program logs go to stderr so that stdout carries only JSON decision lines.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // With this category off, ASP.NET Core creates no per-request Activity from the client's
        // traceparent: less work per request, and no client-supplied trace context in scope.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // Decision lines reach OpenTelemetry as log records; the console already has them as JSON on stdout.
        builder.Logging.AddFilter<ConsoleLoggerProvider>(DecisionLog.OtelCategory, LogLevel.None);

        builder.Services.AddSingleton(reader);
        builder.Services.AddEgressGuard(settings, paths);
        // Time for live tunnels to finish on SIGTERM before they are closed, plus a margin for the logs.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Proxy.DrainTimeout + TimeSpan.FromSeconds(5));
        configureServices?.Invoke(builder.Services);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.AllowHostHeaderOverride = true;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(settings.ListenEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (settings.Proxy.Tls.Enabled)
                {
                    // An HTTPS proxy: TLS first, so that the CONNECT gate sees the decrypted stream.
                    listen.UseHttps(https => ClientCertificates.Configure(https, settings.Proxy.Tls, paths.Resolve));
                }

                var gate = listen.ApplicationServices.GetRequiredService<ConnectGate>();
                listen.Use(next => connection => gate.OnConnectionAsync(connection, next));
            });
        });

        var app = builder.Build();
        var handler = app.Services.GetRequiredService<ForwardProxyHandler>();
        app.Run(handler.InvokeAsync);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            app.Services.GetRequiredService<PacFile>().Listening(new System.Net.IPEndPoint(settings.ListenEndpoint.Address, new Uri(app.Urls.First()).Port));
            StartupSummary.Log(app, settings, paths);
        });
        return app;
    }

    private static IServiceCollection AddEgressGuard(this IServiceCollection services, EgressGuardSettings settings, ConfigPaths paths)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(paths);
        services.AddSingleton(settings);
        services.AddSingleton(Options.Create(settings.Proxy));
        services.AddSingleton(Options.Create(settings.Log));
        services.AddSingleton(Options.Create(settings.Dns));
        services.AddEgressGuardPolicy(settings);
        services.AddEgressGuardTelemetry(settings);
        services.AddSingleton<Dialer>();
        services.AddSingleton<UpstreamHttpClient>();
        services.AddHttpForwarder();
        services.AddSingleton<DecisionLog>();
        services.AddHostedService(sp => sp.GetRequiredService<DecisionLog>());
        services.AddSingleton(sp => new ProxyAuthenticator(
            settings.Auth,
            sp.GetRequiredService<ConfigPaths>().Resolve(settings.Auth.UsersFile),
            settings.TrustedClients,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.Identity")));
        services.AddSingleton<TunnelRegistry>();
        services.AddSingleton(settings.Tls);
        services.AddSingleton<EgressGuard.Interception.TlsInterceptor>();
        services.AddSingleton<ConnectSession>();
        services.AddSingleton(sp => new ConnectionLimiter(settings.Proxy, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ConnectGate>();
        services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, ProxyListenerFactory>();
        services.AddSingleton<ForwardProxyHandler>();
        services.AddSingleton(sp => new BlockPage(settings.BlockPage, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new PacFile(settings.Pac, settings.ListenEndpoint, settings.Proxy.Tls.Enabled));
        services.AddEgressGuardAlerts(settings);
        // Fleet mode (Store:Postgres): last, so that its replacements win. Node:Name in any mode.
        EgressGuard.Fleet.FleetServiceCollectionExtensions.AddEgressGuardFleet(services, settings);
        return services;
    }

    private static IServiceCollection AddEgressGuardAlerts(this IServiceCollection services, EgressGuardSettings settings)
    {
        var alerts = settings.Alerts;
        services.AddSingleton(alerts);
        services.AddSingleton(sp => new AlertTracker(alerts, sp.GetRequiredService<TimeProvider>()));
        foreach (var webhook in alerts.Webhooks)
        {
            services.AddSingleton<IAlertSink>(sp => new WebhookSink(webhook, sp.GetRequiredService<TimeProvider>()));
        }

        if (!string.IsNullOrEmpty(alerts.Syslog.Address))
        {
            services.AddSingleton<IAlertSink>(new SyslogSink(alerts.Syslog));
        }

        services.AddSingleton<AlertDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertDispatcher>());
        services.AddSingleton<AlertService>();
        services.AddSingleton(settings.Quarantine);
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            var store = new EgressGuard.Quarantine.QuarantineStore(
                Path.Combine(paths.Resolve(settings.Data.Directory), "quarantine.json"),
                new EgressGuard.Quarantine.Remediation(settings.Quarantine.Remediation),
                sp.GetRequiredService<TimeProvider>());
            var (restored, error) = store.Load();
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.Quarantine");
            if (error is not null)
            {
                EgressGuard.Quarantine.QuarantineLog.Unreadable(logger, error);
            }
            else if (restored > 0)
            {
                EgressGuard.Quarantine.QuarantineLog.Restored(logger, restored);
            }

            return store;
        });
        services.AddSingleton<EgressGuard.Quarantine.QuarantineService>();
        services.AddSingleton(settings.History);
        services.AddSingleton<EgressGuard.History.HistoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<EgressGuard.History.HistoryService>());
        services.AddSingleton<EgressGuard.History.RetroHunt>();
        services.AddSingleton<EgressGuard.History.Report>();
        services.AddHostedService(sp => sp.GetRequiredService<EgressGuard.History.RetroHunt>());
        return services;
    }

    private static IServiceCollection AddEgressGuardTelemetry(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(settings.Telemetry);
        services.AddSingleton<EgressGuardMetrics>();
        services.AddSingleton<ProxyTelemetry>();
        var telemetry = settings.Telemetry;
        if (!telemetry.IsEnabled)
        {
            // No listener on the ActivitySource: no span is even created on the request path.
            return services;
        }

        var serviceName = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") is { Length: > 0 } fromEnv ? fromEnv : telemetry.ServiceName;
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: typeof(EgressGuardHost).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing.AddSource(EgressGuardTelemetry.Name);
                if (telemetry.Console)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(EgressGuardTelemetry.Name);
                if (telemetry.Console)
                {
                    metrics.AddConsoleExporter();
                }

                if (telemetry.Prometheus)
                {
                    // Scraped at /metrics on the admin listener (AdminEndpoints), never on the proxy port.
                    metrics.AddPrometheusExporter();
                }
            })
            .WithLogging(logging =>
            {
                if (telemetry.Console)
                {
                    logging.AddConsoleExporter();
                }
            });
        if (telemetry.OtlpConfigured)
        {
            // The SDK reads OTEL_EXPORTER_OTLP_* itself and appends /v1/traces, /v1/metrics, /v1/logs for http/protobuf.
            if (telemetry.OtlpEndpoint is { Length: > 0 } endpoint)
            {
                var protocolName = telemetry.OtlpProtocol ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL");
                var protocol = protocolName == "http/protobuf" ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
                otel.UseOtlpExporter(protocol, new Uri(endpoint));
            }
            else
            {
                otel.UseOtlpExporter();
            }
        }

        return services;
    }

    private static IServiceCollection AddEgressGuardRulesAndAdmin(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            var store = new RulesStore(
                paths.Resolve(settings.Rules.File),
                Path.Combine(paths.Resolve(settings.Data.Directory), "rules-history"),
                settings.Rules.HistoryLimit,
                settings.IsKnownFeed,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.Rules"));
            store.LoadInitial();
            store.Watch();
            return store;
        });
        services.AddSingleton(new RecentDecisions(settings.Admin.RecentDecisions));
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            return new AdminTokens(settings.Admin, paths, paths.Resolve(settings.Data.Directory));
        });
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            var file = settings.Admin.AuditFile is { Length: > 0 } f ? paths.Resolve(f) : Path.Combine(paths.Resolve(settings.Data.Directory), "audit.jsonl");
            return new AuditLog(file, sp.GetRequiredService<DecisionLog>(), sp.GetRequiredService<TimeProvider>());
        });
        services.AddHostedService<RuleExpiryReporter>();
        services.AddSingleton<SignalHandlers>();
        services.AddHostedService(sp => sp.GetRequiredService<SignalHandlers>());
        services.AddSingleton<AdminHost>();
        services.AddHostedService(sp => sp.GetRequiredService<AdminHost>());
        return services;
    }

    private static IServiceCollection AddEgressGuardFeeds(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton<IFeedFetcher, FeedFetcher>();
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            var guard = settings.Policy.Admin!;
            var excluded = guard.Exempt.Concat(settings.Hygiene.Exclude.Select(IpNetworkParser.Parse));
            var knownGood = settings.Hygiene.KnownGood.Select(IpNetworkParser.Parse).ToList();
            foreach (var file in settings.Hygiene.KnownGoodFiles)
            {
                using var reader = new StreamReader(paths.Resolve(file));
                knownGood.AddRange(IpListParser.Parse(reader, file).Entries);
            }

            return new FeedHygiene(settings.Hygiene, excluded, knownGood);
        });
        services.AddSingleton(sp =>
        {
            var paths = sp.GetRequiredService<ConfigPaths>();
            return new FeedManager(
                settings.Feeds,
                sp.GetRequiredService<FeedHygiene>(),
                sp.GetRequiredService<IFeedFetcher>(),
                new FeedCache(Path.Combine(paths.Resolve(settings.Data.Directory), "feeds")),
                paths.BaseDirectory,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard.ThreatFeeds"));
        });
        services.AddSingleton(sp => new FeedScheduler(sp.GetRequiredService<FeedManager>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<RulesStore>();
            var recomposer = new PolicyRecomposer(settings.Policy.Admin!, sp.GetRequiredService<FeedManager>(), sp.GetRequiredService<PolicyHolder>(), store.Current);
            store.Changed += rules => recomposer.SetRules(rules);
            return recomposer;
        });
        services.AddHostedService<FeedRefreshService>();
        return services;
    }

    private static IServiceCollection AddEgressGuardPolicy(this IServiceCollection services, EgressGuardSettings settings)
    {
        services.AddSingleton(new PolicyHolder(settings.Policy.Snapshot!));
        services.AddEgressGuardFeeds(settings);
        services.AddEgressGuardRulesAndAdmin(settings);
        services.AddSingleton<IPolicySource>(sp => sp.GetRequiredService<PolicyHolder>());
        services.AddSingleton<DnsClientResolver>(_ => new DnsClientResolver(settings.Dns));
        services.AddSingleton<IResolver>(sp => new CachingResolver(sp.GetRequiredService<DnsClientResolver>(), settings.Dns, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new EgressPolicy(sp.GetRequiredService<IPolicySource>(), sp.GetRequiredService<InstrumentedResolver>(), settings.Dns.Prefer, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SelfEndpoints>(), sp.GetRequiredService<EgressGuard.Quarantine.QuarantineStore>()));
        services.AddSingleton<SelfEndpoints>();
        services.AddSingleton(sp => new InstrumentedResolver(sp.GetRequiredService<IResolver>(), sp.GetRequiredService<EgressGuardMetrics>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
