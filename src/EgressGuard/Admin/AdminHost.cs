using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EgressGuard.Admin;

/// <summary>
/// The admin API on its own Kestrel server and listener (<c>Admin:Listen</c>), apart from the proxy
/// pipeline: the proxy path stays lean and the admin API can never be reached through the proxy
/// port. Built with the proxy's own services, started and stopped with the proxy.
/// </summary>
internal sealed partial class AdminHost : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly IPEndPoint? _endpoint;
    private readonly ILogger<AdminHost> _logger;
    private WebApplication? _app;

    /// <param name="endpoint">The validated <c>Admin:Listen</c>; null: no admin listener.</param>
    public AdminHost(IServiceProvider services, IPEndPoint? endpoint, ILogger<AdminHost> logger)
    {
        _services = services;
        _endpoint = endpoint;
        _logger = logger;
    }

    /// <summary>The bound address (<c>http://127.0.0.1:PORT</c>), once started.</summary>
    public string? Url { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.Listen(_endpoint, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
        });
        _app = builder.Build();
        AdminConsole.ConsoleEndpoints.Use(_app); // the console's files at /ui/, before the token check
        AdminEndpoints.Map(_app, _services);
        DecisionStreamEndpoints.Map(_app, _services);
        RulesVersionEndpoints.Map(_app, _services);
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException ex) when ((ex.InnerException as System.Net.Sockets.SocketException ?? ex.InnerException?.InnerException as System.Net.Sockets.SocketException) is { } socket)
        {
            // Kestrel wraps the socket error twice; the start ends with one line naming the key (Program).
            throw new ListenerBindException("Admin:Listen", _endpoint, socket);
        }
        Url = _app.Urls.First();
        var bound = new Uri(Url);
        _services.GetRequiredService<Proxy.SelfEndpoints>().Register(new IPEndPoint(IPAddress.Parse(bound.Host.Trim('[', ']')), bound.Port));
        var tokens = _services.GetRequiredService<AdminTokens>();
        LogStarted(_logger, Url, tokens.GeneratedFile ?? "configured");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Admin API listening on {Url} (token: {Token})")]
    private static partial void LogStarted(ILogger logger, string url, string token);
}
