using EgressGuard.Proxy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Hosting;

/// <summary>
/// One check per configuration section, each adding every error it finds with the key and the
/// value (habit 5 of STYLE.md), so that <see cref="EgressGuardSettings.Load"/> reads as a list of
/// sections and an admin sees every mistake at once.
/// </summary>
internal static class SectionValidation
{
    /// <summary>The section's scalars; <c>Proxy:Listen</c> is read by <see cref="ListenValidation"/>.</summary>
    public static void Proxy(ProxyOptions proxy, List<string> errors)
    {
        Positive(errors, "Proxy:HeadTimeout", proxy.HeadTimeout);
        Positive(errors, "Proxy:ConnectTimeout", proxy.ConnectTimeout);
        Positive(errors, "Proxy:IdleTimeout", proxy.IdleTimeout);
        Positive(errors, "Proxy:UpstreamTimeout", proxy.UpstreamTimeout);
        Positive(errors, "Proxy:PooledConnectionLifetime", proxy.PooledConnectionLifetime);
        if (proxy.MaxConnections < 1 || proxy.MaxConnectionsPerClient < 0 || proxy.MaxNewConnectionsPerClientPerSecond < 0 || proxy.MaxTunnelLifetime < TimeSpan.Zero)
        {
            errors.Add($"Proxy:MaxConnections = '{proxy.MaxConnections}' must be at least 1; Proxy:MaxConnectionsPerClient ('{proxy.MaxConnectionsPerClient}') and Proxy:MaxTunnelLifetime ('{proxy.MaxTunnelLifetime}') must not be negative");
        }

        if (proxy.CompactMemoryAfter < TimeSpan.Zero)
        {
            errors.Add($"Proxy:CompactMemoryAfter = '{proxy.CompactMemoryAfter}': must not be negative (zero turns it off)");
        }

        // The kernel caps a pipe at 2^31 bytes; beyond 256 MiB nothing is gained and pages are pinned.
        if (proxy.SplicePipeSize is < 0 or > 256 * 1024 * 1024)
        {
            errors.Add($"Proxy:SplicePipeSize = '{proxy.SplicePipeSize}': must be between 0 and 268435456 bytes (65536 or less: never grow)");
        }

        if (proxy.SplicePipeBudget < 0)
        {
            errors.Add($"Proxy:SplicePipeBudget = '{proxy.SplicePipeBudget}': must not be negative (0: no pipe grows)");
        }

        if (proxy.Forwarder is not (ProxyOptions.ForwarderLean or ProxyOptions.ForwarderYarp))
        {
            errors.Add($"Proxy:Forwarder = '{proxy.Forwarder}': must be 'lean' or 'yarp'");
        }

        if (proxy.MaxHeadBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"Proxy:MaxHeadBytes = '{proxy.MaxHeadBytes}': must be between 1024 and 1048576");
        }
    }

    public static List<IpRange> TrustedClients(ProxyOptions proxy, List<string> errors)
    {
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
        return trusted;
    }

    public static void Dns(DnsOptions dns, List<string> errors)
    {
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
    }

    public static void Log(LogOptions log, ConfigPaths paths, List<string> errors)
    {
        if (log.QueueCapacity < 1 || log.RefusalWindow < TimeSpan.Zero)
        {
            errors.Add($"Log: QueueCapacity ('{log.QueueCapacity}') must be at least 1, RefusalWindow ('{log.RefusalWindow}') not negative");
        }

        if (!string.IsNullOrEmpty(log.DecisionFile))
        {
            var folder = Path.GetDirectoryName(paths.Resolve(log.DecisionFile));
            if (folder is not null && !Directory.Exists(folder))
            {
                errors.Add($"Log:DecisionFile = '{log.DecisionFile}': folder {folder} does not exist");
            }
        }
    }

    public static void Tls(TlsOptions tls, List<string> errors)
    {
        if (!Enum.IsDefined(tls.SniCheck) || tls.HelloTimeout <= TimeSpan.Zero || tls.InspectPorts.Any(p => p is < 1 or > 65535))
        {
            errors.Add($"Tls: SniCheck = '{tls.SniCheck}' must be enforce, log or off; HelloTimeout ('{tls.HelloTimeout}') positive; InspectPorts between 1 and 65535");
        }
    }

    public static void Quarantine(EgressGuard.Quarantine.QuarantineOptions quarantine, List<string> errors)
    {
        if (quarantine.Threshold < 1 || quarantine.Window <= TimeSpan.Zero || quarantine.Duration <= TimeSpan.Zero)
        {
            errors.Add($"Quarantine: Threshold ('{quarantine.Threshold}') must be at least 1, Window ('{quarantine.Window}') and Duration ('{quarantine.Duration}') positive");
        }
    }

    public static void History(EgressGuard.History.HistoryOptions history, List<string> errors)
    {
        if (history.Retention <= TimeSpan.Zero || history.RetroHuntWindow <= TimeSpan.Zero || history.FlushInterval <= TimeSpan.Zero || history.QueueCapacity < 1 || history.MaxBytes < 1024 * 1024)
        {
            errors.Add($"History: Retention ('{history.Retention}'), RetroHuntWindow ('{history.RetroHuntWindow}') and FlushInterval ('{history.FlushInterval}') must be positive, QueueCapacity ('{history.QueueCapacity}') at least 1, MaxBytes ('{history.MaxBytes}') at least 1 MiB");
        }
    }

    public static void Telemetry(TelemetryOptions telemetry, List<string> errors)
    {
        if (telemetry.OtlpProtocol is not (null or "" or "grpc" or "http/protobuf"))
        {
            errors.Add($"Telemetry:OtlpProtocol = '{telemetry.OtlpProtocol}': expected grpc or http/protobuf");
        }

        if (telemetry.OtlpEndpoint is { Length: > 0 } otlp && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
        {
            errors.Add($"Telemetry:OtlpEndpoint = '{otlp}': not an absolute URL");
        }
    }

    /// <summary>The rules file is validated here so that a bad file stops the start with every error.</summary>
    public static void Rules(RulesOptions rules, List<FeedOptions> feeds, ConfigPaths paths, List<string> errors)
    {
        if (rules.HistoryLimit is < 1 or > 1000)
        {
            errors.Add($"Rules:HistoryLimit = '{rules.HistoryLimit}': between 1 and 1000");
        }

        var rulesPath = paths.Resolve(rules.File);
        if (File.Exists(rulesPath))
        {
            var probe = new RulesStore(rulesPath, Path.GetTempPath(), 1, name => feeds.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(f.Category, name, StringComparison.OrdinalIgnoreCase)), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            errors.AddRange(probe.LoadInitial().Errors.Select(e => e.StartsWith(rulesPath, StringComparison.Ordinal) ? e : $"{rulesPath}: {e}"));
            probe.Dispose();
        }
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} = '{value}': must be a positive duration (hh:mm:ss)");
        }
    }
}
