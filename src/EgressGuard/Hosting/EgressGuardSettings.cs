using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Admin;
using EgressGuard.Alerts;
using EgressGuard.Clients;
using EgressGuard.Configuration;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Proxy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using EgressGuard.Telemetry;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Hosting;

/// <summary>
/// All options, bound and validated together before anything starts, so that an admin sees
/// every mistake at once, each with its key and value (habit 5 of STYLE.md).
/// </summary>
internal sealed class EgressGuardSettings
{
    public ProxyOptions Proxy { get; private init; } = new();

    public DnsOptions Dns { get; private init; } = new();

    public GuardOptions Guard { get; private init; } = new();

    public ListsOptions Lists { get; private init; } = new();

    public LogOptions Log { get; private init; } = new();

    public DataOptions Data { get; private init; } = new();

    public List<FeedOptions> Feeds { get; private init; } = [];

    public HygieneOptions Hygiene { get; private init; } = new();

    public RulesOptions Rules { get; private init; } = new();

    public AdminOptions Admin { get; private init; } = new();

    public AuthOptions Auth { get; private init; } = new();

    public DirectoryOptions UserDirectory { get; private init; } = new();

    public IdentityOptions Identity { get; private init; } = new();

    public TelemetryOptions Telemetry { get; private init; } = new();

    public BlockPageOptions BlockPage { get; private init; } = new();

    public PacOptions Pac { get; private init; } = new();

    public AlertOptions Alerts { get; private init; } = new();

    public EgressGuard.Quarantine.QuarantineOptions Quarantine { get; private init; } = new();

    public EgressGuard.History.HistoryOptions History { get; private init; } = new();

    public TlsOptions Tls { get; private init; } = new();

    public NodeOptions Node { get; private init; } = new();

    public EgressGuard.Fleet.StoreOptions Store { get; private init; } = new();

    /// <summary>Parsed <c>Proxy:TrustedClients</c> (or the default ranges).</summary>
    public IReadOnlyList<IpRange> TrustedClients { get; private init; } = [];

    /// <summary>The admin listener's endpoint, or null when disabled.</summary>
    public IPEndPoint? AdminEndpoint { get; private init; }

    /// <summary>Names and categories of every configured feed, for rules that name feeds.</summary>
    public bool IsKnownFeed(string name) =>
        Feeds.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(f.Category, name, StringComparison.OrdinalIgnoreCase));

    public required IPEndPoint ListenEndpoint { get; init; }

    public required PolicyLoadResult Policy { get; init; }

    public static EgressGuardSettings Load(IConfiguration configuration, ConfigPaths paths)
    {
        var errors = new List<string>();
        var proxy = Bind<ProxyOptions>(configuration, ProxyOptions.Section, errors);
        var dns = Bind<DnsOptions>(configuration, DnsOptions.Section, errors);
        var guard = Bind<GuardOptions>(configuration, GuardOptions.Section, errors);
        var lists = Bind<ListsOptions>(configuration, ListsOptions.Section, errors);
        var log = Bind<LogOptions>(configuration, LogOptions.Section, errors);
        var data = Bind<DataOptions>(configuration, DataOptions.Section, errors);
        var feeds = BindList<FeedOptions>(configuration, "Feeds", errors);
        var hygiene = BindHygiene(configuration, errors);
        var rules = Bind<RulesOptions>(configuration, RulesOptions.Section, errors);
        var admin = Bind<AdminOptions>(configuration, AdminOptions.Section, errors);
        var auth = Bind<AuthOptions>(configuration, AuthOptions.Section, errors);
        var telemetry = Bind<TelemetryOptions>(configuration, TelemetryOptions.Section, errors);
        var blockPage = Bind<BlockPageOptions>(configuration, BlockPageOptions.Section, errors);
        var pac = Bind<PacOptions>(configuration, PacOptions.Section, errors);
        PacFile.Validate(pac, errors);
        var alerts = Bind<AlertOptions>(configuration, AlertOptions.Section, errors);
        AlertValidation.Validate(alerts, errors);
        var quarantine = Bind<EgressGuard.Quarantine.QuarantineOptions>(configuration, EgressGuard.Quarantine.QuarantineOptions.Section, errors);
        if (quarantine.Threshold < 1 || quarantine.Window <= TimeSpan.Zero || quarantine.Duration <= TimeSpan.Zero)
        {
            errors.Add($"Quarantine: Threshold ('{quarantine.Threshold}') must be at least 1, Window ('{quarantine.Window}') and Duration ('{quarantine.Duration}') positive");
        }

        EgressGuard.Quarantine.Remediation.Validate(quarantine.Remediation, errors);
        var tls = Bind<TlsOptions>(configuration, TlsOptions.Section, errors);
        var node = Bind<NodeOptions>(configuration, NodeOptions.Section, errors); NodeOptions.Validate(node, errors);
        var store = Bind<EgressGuard.Fleet.StoreOptions>(configuration, EgressGuard.Fleet.StoreOptions.Section, errors); EgressGuard.Fleet.StoreOptions.Validate(store, paths, errors);
        if (!Enum.IsDefined(tls.SniCheck) || tls.HelloTimeout <= TimeSpan.Zero || tls.InspectPorts.Any(p => p is < 1 or > 65535))
        {
            errors.Add($"Tls: SniCheck = '{tls.SniCheck}' must be enforce, log or off; HelloTimeout ('{tls.HelloTimeout}') positive; InspectPorts between 1 and 65535");
        }

        EgressGuard.Interception.InterceptionValidation.Validate(tls.Intercept, paths, errors);
        var history = Bind<EgressGuard.History.HistoryOptions>(configuration, EgressGuard.History.HistoryOptions.Section, errors);
        if (history.Retention <= TimeSpan.Zero || history.RetroHuntWindow <= TimeSpan.Zero || history.FlushInterval <= TimeSpan.Zero || history.QueueCapacity < 1 || history.MaxBytes < 1024 * 1024)
        {
            errors.Add($"History: Retention ('{history.Retention}'), RetroHuntWindow ('{history.RetroHuntWindow}') and FlushInterval ('{history.FlushInterval}') must be positive, QueueCapacity ('{history.QueueCapacity}') at least 1, MaxBytes ('{history.MaxBytes}') at least 1 MiB");
        }
        if (telemetry.OtlpProtocol is not (null or "grpc" or "http/protobuf"))
        {
            errors.Add($"Telemetry:OtlpProtocol = '{telemetry.OtlpProtocol}': expected grpc or http/protobuf");
        }

        if (telemetry.OtlpEndpoint is { Length: > 0 } otlp && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
        {
            errors.Add($"Telemetry:OtlpEndpoint = '{otlp}': not an absolute URL");
        }
        if (proxy.TrustedClients.Count == 0)
        {
            proxy.TrustedClients.AddRange(ProxyOptions.DefaultTrustedClients);
        }

        var trusted = new List<IpRange>();
        for (var i = 0; i < proxy.TrustedClients.Count; i++)
        {
            if (IpNetworkParser.TryParse(proxy.TrustedClients[i], out var range, out _, out var error))
            {
                trusted.Add(range);
            }
            else
            {
                errors.Add($"Proxy:TrustedClients:{i} = '{proxy.TrustedClients[i]}': {error}");
            }
        }

        AuthValidation.Validate(auth, paths, errors);
        var directory = Bind<DirectoryOptions>(configuration, DirectoryOptions.Section, errors); DirectorySetup.Validate(directory, auth, paths, errors);
        var identity = Bind<IdentityOptions>(configuration, IdentityOptions.Section, errors); IdentityMapSetup.Validate(identity, paths, errors);
        ClientCertificates.Validate(proxy.Tls, paths, errors);

        if (!IPEndPoint.TryParse(proxy.Listen, out var listen) || listen.Port == 0 && !proxy.Listen.EndsWith(":0", StringComparison.Ordinal))
        {
            errors.Add($"Proxy:Listen = '{proxy.Listen}': expected ip:port, e.g. 127.0.0.1:3128 or [::]:3128");
            listen = new IPEndPoint(IPAddress.Loopback, 3128);
        }

        Positive(errors, "Proxy:HeadTimeout", proxy.HeadTimeout);
        Positive(errors, "Proxy:ConnectTimeout", proxy.ConnectTimeout);
        Positive(errors, "Proxy:IdleTimeout", proxy.IdleTimeout);
        Positive(errors, "Proxy:UpstreamTimeout", proxy.UpstreamTimeout);
        Positive(errors, "Proxy:PooledConnectionLifetime", proxy.PooledConnectionLifetime);
        if (proxy.MaxConnections < 1 || proxy.MaxConnectionsPerClient < 0 || proxy.MaxNewConnectionsPerClientPerSecond < 0 || proxy.MaxTunnelLifetime < TimeSpan.Zero)
        {
            errors.Add($"Proxy:MaxConnections = '{proxy.MaxConnections}' must be at least 1; Proxy:MaxConnectionsPerClient ('{proxy.MaxConnectionsPerClient}') and Proxy:MaxTunnelLifetime ('{proxy.MaxTunnelLifetime}') must not be negative");
        }

        if (proxy.MaxHeadBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"Proxy:MaxHeadBytes = '{proxy.MaxHeadBytes}': must be between 1024 and 1048576");
        }

        for (var i = 0; i < dns.Servers.Count; i++)
        {
            if (!IPEndPoint.TryParse(dns.Servers[i], out _))
            {
                errors.Add($"Dns:Servers:{i} = '{dns.Servers[i]}': expected ip or ip:port, e.g. 127.0.0.53:53");
            }
        }

        Positive(errors, "Dns:Timeout", dns.Timeout);
        if (dns.Retries is < 0 or > 10)
        {
            errors.Add($"Dns:Retries = '{dns.Retries}': must be between 0 and 10");
        }

        if (dns.MaxCnameChain is < 1 or > 32)
        {
            errors.Add($"Dns:MaxCnameChain = '{dns.MaxCnameChain}': must be between 1 and 32");
        }

        if (dns.MaxCacheTtl < TimeSpan.Zero || dns.NegativeCacheTtl < TimeSpan.Zero)
        {
            errors.Add("Dns:MaxCacheTtl and Dns:NegativeCacheTtl must not be negative");
        }

        if (!string.IsNullOrEmpty(log.DecisionFile))
        {
            var folder = Path.GetDirectoryName(paths.Resolve(log.DecisionFile));
            if (folder is not null && !Directory.Exists(folder))
            {
                errors.Add($"Log:DecisionFile = '{log.DecisionFile}': folder {folder} does not exist");
            }
        }

        FeedValidation.Validate(feeds, hygiene, paths, errors);
        var adminEndpoint = AdminValidation.Validate(admin, listen, paths, errors);
        if (rules.HistoryLimit is < 1 or > 1000)
        {
            errors.Add($"Rules:HistoryLimit = '{rules.HistoryLimit}': between 1 and 1000");
        }

        // The rules file is validated here so that a bad file stops the start with every error.
        var rulesPath = paths.Resolve(rules.File);
        if (File.Exists(rulesPath))
        {
            var probe = new RulesStore(rulesPath, Path.GetTempPath(), 1, name => feeds.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(f.Category, name, StringComparison.OrdinalIgnoreCase)), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            errors.AddRange(probe.LoadInitial().Errors.Select(e => e.StartsWith(rulesPath, StringComparison.Ordinal) ? e : $"{rulesPath}: {e}"));
            probe.Dispose();
        }

        var policy = PolicyLoader.Load(lists, guard, paths.BaseDirectory, version: 1);
        errors.AddRange(policy.Errors);
        if (errors.Count > 0)
        {
            throw new ConfigurationErrorsException(errors);
        }

        return new EgressGuardSettings
        {
            Proxy = proxy,
            Dns = dns,
            Guard = guard,
            Lists = lists,
            Log = log,
            Data = data,
            Feeds = feeds,
            Hygiene = hygiene,
            Rules = rules,
            Admin = admin,
            Auth = auth,
            UserDirectory = directory,
            Identity = identity,
            Telemetry = telemetry,
            BlockPage = blockPage,
            Pac = pac,
            Alerts = alerts,
            Quarantine = quarantine,
            History = history,
            Tls = tls,
            Node = node,
            Store = store,
            TrustedClients = trusted,
            AdminEndpoint = adminEndpoint,
            ListenEndpoint = listen,
            Policy = policy,
        };
    }

    private static T Bind<T>(IConfiguration configuration, string section, List<string> errors)
        where T : new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key and the type: "Failed to convert configuration value at 'Proxy:HeadTimeout' to type 'System.TimeSpan'."
            errors.Add(ex.Message + (ex.InnerException is { } inner ? " " + inner.Message : string.Empty));
        }

        return options;
    }

    private static List<T> BindList<T>(IConfiguration configuration, string section, List<string> errors)
        where T : new()
    {
        var list = new List<T>();
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            var item = new T();
            try
            {
                child.Bind(item);
            }
            catch (InvalidOperationException ex)
            {
                errors.Add(ex.Message + (ex.InnerException is { } inner ? " " + inner.Message : string.Empty));
            }

            list.Add(item);
        }

        return list;
    }

    /// <summary>Binds <c>Hygiene</c>; a configured KnownGood list replaces the built-in one instead of adding to it.</summary>
    private static HygieneOptions BindHygiene(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection(HygieneOptions.Section);
        var options = new HygieneOptions();
        if (section.GetSection(nameof(HygieneOptions.KnownGood)).Exists())
        {
            options.KnownGood.Clear();
        }

        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(ex.Message + (ex.InnerException is { } inner ? " " + inner.Message : string.Empty));
        }

        return options;
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} = '{value}': must be a positive duration (hh:mm:ss)");
        }
    }
}
