using EgressGuard.Admin;
using EgressGuard.Alerts;
using EgressGuard.Clients;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Proxy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
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

    public EgressGuard.Dialing.UpstreamOptions Upstream { get; private init; } = new();

    /// <summary>Parsed <c>Upstream</c>: the parent proxies, resolved; none when every exchange is dialled directly.</summary>
    public EgressGuard.Dialing.ParentRoutes Parents { get; private init; } = EgressGuard.Dialing.ParentRoutes.None;

    public EgressGuard.Fleet.StoreOptions Store { get; private init; } = new();

    /// <summary>Parsed <c>Proxy:TrustedClients</c> (or the default ranges).</summary>
    public IReadOnlyList<IpRange> TrustedClients { get; private init; } = [];

    /// <summary>The admin listener's endpoint, or null when disabled.</summary>
    public IPEndPoint? AdminEndpoint { get; private init; }

    /// <summary>Names and categories of every configured feed, for rules that name feeds.</summary>
    public bool IsKnownFeed(string name) =>
        Feeds.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(f.Category, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Names under <c>Upstream:Parents</c>, for rules that choose a parent.</summary>
    public bool IsKnownParent(string name) => Parents.IsKnown(name);

    /// <summary>Every <c>Proxy:Listen</c> entry in configuration order; never empty.</summary>
    public required IReadOnlyList<ProxyListener> Listeners { get; init; }

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
        SectionValidation.Quarantine(quarantine, errors);
        EgressGuard.Quarantine.Remediation.Validate(quarantine.Remediation, errors);
        var tls = Bind<TlsOptions>(configuration, TlsOptions.Section, errors);
        tls.ApplyDefaults();
        var node = Bind<NodeOptions>(configuration, NodeOptions.Section, errors); NodeOptions.Validate(node, errors);
        var store = Bind<EgressGuard.Fleet.StoreOptions>(configuration, EgressGuard.Fleet.StoreOptions.Section, errors); EgressGuard.Fleet.StoreOptions.Validate(store, paths, errors);
        SectionValidation.Tls(tls, errors);
        EgressGuard.Interception.InterceptionValidation.Validate(tls.Intercept, paths, errors);
        var history = Bind<EgressGuard.History.HistoryOptions>(configuration, EgressGuard.History.HistoryOptions.Section, errors);
        SectionValidation.History(history, errors);
        SectionValidation.Telemetry(telemetry, errors);
        var trusted = SectionValidation.TrustedClients(proxy, errors);
        AuthValidation.Validate(auth, paths, errors);
        var directory = Bind<DirectoryOptions>(configuration, DirectoryOptions.Section, errors); DirectorySetup.Validate(directory, auth, paths, errors);
        var identity = Bind<IdentityOptions>(configuration, IdentityOptions.Section, errors); IdentityMapSetup.Validate(identity, paths, errors);
        ClientCertificates.Validate(proxy.Tls, paths, errors);

        SectionValidation.Proxy(proxy, errors);
        var listeners = ListenValidation.Read(configuration, proxy, paths, errors);
        var upstream = Bind<EgressGuard.Dialing.UpstreamOptions>(configuration, EgressGuard.Dialing.UpstreamOptions.Section, errors);
        var parent = EgressGuard.Dialing.UpstreamValidation.Validate(upstream, paths, errors);
        SectionValidation.Dns(dns, errors);
        SectionValidation.Log(log, paths, errors);

        FeedValidation.Validate(feeds, hygiene, paths, errors);
        var adminEndpoint = AdminValidation.Validate(admin, listeners, paths, errors);
        SectionValidation.Rules(rules, feeds, paths, errors);

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
            Upstream = upstream,
            Parents = parent,
            Store = store,
            TrustedClients = trusted,
            AdminEndpoint = adminEndpoint,
            Listeners = listeners,
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

    /// <summary>Binds <c>Hygiene</c>.</summary>
    private static HygieneOptions BindHygiene(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection(HygieneOptions.Section);
        var options = new HygieneOptions();
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
}
