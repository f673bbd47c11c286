using EgressGuard.Clients;
using EgressGuard.Identity;
using EgressGuard.Proxy;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;

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
        builder.Configuration.AddInMemoryCollection(OtelEnvironment.Variables());

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
            foreach (var listener in settings.Listeners)
            {
                kestrel.Listen(listener.Endpoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    if (listener.Tls.Enabled)
                    {
                        // An HTTPS proxy: TLS first, so that the CONNECT gate sees the decrypted stream.
                        listen.UseHttps(https => ClientCertificates.Configure(https, listener.Tls, paths.Resolve));
                    }

                    var gate = listen.ApplicationServices.GetRequiredService<ConnectGate>();
                    listen.Use(next => connection => gate.OnConnectionAsync(connection, next));
                });
            }
        });

        var app = builder.Build();
        var handler = app.Services.GetRequiredService<Forwarding.RequestRouter>();
        app.Run(handler.InvokeAsync);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // The PAC file names the first listener: clients configured by it need one proxy address.
            app.Services.GetRequiredService<PacFile>().Listening(app.Services.GetRequiredService<ProxyListeners>().BoundEndpoint(0));
            StartupSummary.Log(app, settings, paths);
        });
        return app;
    }
}
