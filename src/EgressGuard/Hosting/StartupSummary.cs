using EgressGuard.Resolution;
using EgressGuard.ThreatFeeds;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace EgressGuard.Hosting;

/// <summary>What an admin needs to see at start: where it listens, what it loaded, whom it asks.</summary>
internal static partial class StartupSummary
{
    public static void Log(WebApplication app, EgressGuardSettings settings, ConfigPaths paths)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EgressGuard");
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var policy = settings.Policy;
        var listening = string.Join(", ", addresses);
        LogStarted(logger, listening, paths.ConfigFile ?? "(none: built-in defaults)");
        var snapshot = app.Services.GetRequiredService<IPolicySource>().Current;
        LogLoaded(logger, snapshot.BadIps.EntryCount, snapshot.BadDomains.Count, settings.Guard.Enabled ? "on" : "OFF", settings.Guard.Exempt.Count == 0 ? "none" : string.Join(", ", settings.Guard.Exempt));
        foreach (var summary in policy.ListSummaries)
        {
            LogList(logger, summary);
        }

        foreach (var feed in app.Services.GetRequiredService<FeedManager>().States)
        {
            var status = feed.Loaded
                ? $"feed:{feed.Name}: {feed.EntryCount} entries ({FeedFormats.Name(feed.Format)}, {feed.Mode.ToString().ToLowerInvariant()}, every {feed.Options.Interval}) from {FeedSourceRedactor.Redact(feed.Options.Source)}"
                : $"feed:{feed.Name}: not loaded yet ({feed.LastError ?? "first fetch pending"}) from {FeedSourceRedactor.Redact(feed.Options.Source)}";
            LogList(logger, status);
        }

        if (snapshot.MissingRequiredFeeds.Count > 0)
        {
            LogFailClosed(logger, string.Join(", ", snapshot.MissingRequiredFeeds));
        }

        foreach (var warning in policy.Warnings)
        {
            LogListWarning(logger, warning);
        }

        var resolver = app.Services.GetRequiredService<DnsClientResolver>();
        var servers = string.Join(", ", resolver.Servers);
        var decisionLog = settings.Log.DecisionFile.Length == 0 ? "stdout" : paths.Resolve(settings.Log.DecisionFile);
        LogDns(logger, servers, decisionLog);

        var telemetry = settings.Telemetry;
        var exporters = new List<string>(4);
        if (telemetry.Otlp is { } otlp)
        {
            exporters.Add(otlp.ToString());
        }

        if (telemetry.Console)
        {
            exporters.Add("console");
        }

        if (telemetry.Prometheus)
        {
            exporters.Add(telemetry.PrometheusAnonymous ? "Prometheus /metrics on the admin listener (no token)" : "Prometheus /metrics on the admin listener (bearer token)");
        }

        LogTelemetry(logger, !telemetry.IsEnabled ? "off" : exporters.Count == 0 ? "on, no exporter" : string.Join(", ", exporters));
        foreach (var openRelay in OpenRelayCheck.Warnings(settings.Listeners, settings.Proxy, settings.Auth.IsBasic))
        {
            LogOpenRelay(logger, openRelay);
        }

        var rules = app.Services.GetRequiredService<EgressGuard.Rules.RulesStore>();
        LogClients(
            logger,
            settings.Auth.Mode,
            string.Join(", ", settings.Proxy.TrustedClients),
            rules.Current.Rules.Count(r => r.Kind == EgressGuard.Rules.RuleKind.User),
            rules.Path,
            settings.Pac.Enabled ? $"/proxy.pac on {listening}" : "off",
            settings.BlockPage.Enabled ? "on" : "off");
        var intercept = settings.Tls.Intercept;
        var authority = app.Services.GetRequiredService<EgressGuard.Interception.TlsInterceptor>().Authority;
        LogTls(
            logger,
            settings.Tls.InspectPorts.Count == 0 ? "none" : string.Join(", ", settings.Tls.InspectPorts),
            settings.Tls.SniCheck.ToString().ToLowerInvariant(),
            authority is null ? "off" : $"{intercept.Mode} (CA '{authority.Certificate.Subject}', {intercept.Bypass.Count} bypass entr{(intercept.Bypass.Count == 1 ? "y" : "ies")}, leaves valid {intercept.LeafLifetime.TotalDays:0.#} d)");
        if (authority is not null && authority.ExpiresAt - DateTimeOffset.UtcNow < TimeSpan.FromDays(30))
        {
            LogCaExpiring(logger, authority.ExpiresAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (authority is null && rules.Current.HasPathRules)
        {
            LogPathRulesPlainOnly(logger);
        }

        foreach (var narrowed in Files.PrivateFile.Narrowed)
        {
            LogNarrowed(logger, narrowed);
        }

        if (settings.Parents.Default is { } parent)
        {
            LogParent(logger, parent.Name, parent.Endpoint.ToString(), parent.Authorization is null ? "no credentials" : "Basic credentials", settings.Upstream.Direct.Count == 0 ? "none" : string.Join(", ", settings.Upstream.Direct));
        }

        foreach (var named in settings.Parents.Named.Values)
        {
            LogNamedParent(logger, named.Name, named.Endpoint.ToString(), named.Authorization is null ? "no credentials" : "Basic credentials");
        }
    }

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "A file with secrets or personal data was readable by group or others; narrowed: {File} (check who may have read it)")]
    private static partial void LogNarrowed(ILogger logger, string file);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Upstream: allowed exchanges go through parent proxy {Parent} ({Endpoint}, {Credentials}); direct: {Direct}")]
    private static partial void LogParent(ILogger logger, string parent, string endpoint, string credentials, string direct);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Upstream: parent proxy {Parent} ({Endpoint}, {Credentials}) carries what the rules naming it in upstream allow")]
    private static partial void LogNamedParent(ILogger logger, string parent, string endpoint, string credentials);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "The interception CA expires {ExpiresAt}: renew it (EgressGuard ca init --force) and reinstall it on the clients; intercepted tunnels are refused once it has expired")]
    private static partial void LogCaExpiring(ILogger logger, string expiresAt);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Rules with paths apply to plain http:// requests only while Tls:Intercept:Mode is off: HTTPS requests are not seen by them, and a CONNECT they apply to is refused unless a rule with methods [CONNECT] allows it")]
    private static partial void LogPathRulesPlainOnly(ILogger logger);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "TLS: ClientHello read on ports {Ports}, SNI check {SniCheck}; interception {Interception}")]
    private static partial void LogTls(ILogger logger, string ports, string sniCheck, string interception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Telemetry: {Exporters}")]
    private static partial void LogTelemetry(ILogger logger, string exporters);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Clients: auth {AuthMode}, trusted {Trusted}; {RuleCount} admin rule(s) from {RulesFile}; PAC {Pac}; block page {BlockPage}")]
    private static partial void LogClients(ILogger logger, string authMode, string trusted, int ruleCount, string rulesFile, string pac, string blockPage);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "EgressGuard listening on {Addresses} (config {ConfigFile})")]
    private static partial void LogStarted(ILogger logger, string addresses, string configFile);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Loaded {IpEntries} bad-IP entries and {DomainEntries} bad-domain entries (lists and feeds); non-public guard {Guard}, exempt: {Exempt}")]
    private static partial void LogLoaded(ILogger logger, int ipEntries, int domainEntries, string guard, string exempt);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "  {Summary}")]
    private static partial void LogList(ILogger logger, string summary);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogOpenRelay(ILogger logger, string warning);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "List: {Warning}")]
    private static partial void LogListWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Required feed(s) {Feeds} not loaded: refusing all requests with 503 until they load")]
    private static partial void LogFailClosed(ILogger logger, string feeds);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "DNS servers: {Servers}; decision log: {DecisionLog}")]
    private static partial void LogDns(ILogger logger, string servers, string decisionLog);
}
