using EgressGuard.Alerts;
using EgressGuard.History;
using EgressGuard.Interception;
using EgressGuard.Proxy;
using EgressGuard.Tunnels;

namespace EgressGuard.Admin.Status;

/// <summary><c>GET /status</c>: versions in force, open connections and tunnels, process resources, drops and sinks down.</summary>
internal static class StatusEndpoints
{
    public static void Map(IEndpointRouteBuilder app, IPolicySource policySource, TunnelRegistry tunnels, ConnectionLimiter limiter, DecisionLog decisionLog, TimeProvider time, Fleet.FleetStatus fleetStatus, IServiceProvider services)
    {
        app.MapGet("/status", () =>
        {
            // Resolved per request, as before the split, so that building them stays out of the admin API's start.
            var dispatcher = services.GetRequiredService<AlertDispatcher>();
            var history = services.GetRequiredService<HistoryService>();
            var interceptor = services.GetRequiredService<TlsInterceptor>();
            using var process = Process.GetCurrentProcess();
            return Results.Json(new StatusDto(
                PolicyVersion: policySource.Current.Version,
                RulesVersion: policySource.Current.Rules.Version,
                OpenConnections: limiter.Open,
                OpenTunnels: tunnels.Count,
                RssBytes: Environment.WorkingSet,
                ManagedHeapBytes: GC.GetTotalMemory(forceFullCollection: false),
                GcCollections: [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
                Threads: process.Threads.Count,
                OpenFiles: Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : -1,
                DecisionLinesDropped: decisionLog.Dropped,
                AlertSinksDown: dispatcher.Status.Where(x => !x.Up).Select(x => x.Name).ToArray(),
                HistoryRecordsWritten: history.Writer?.Written,
                HistoryRecordsDropped: history.Writer?.Dropped,
                RetroHunt: history.Queries is null ? null : RetroHuntStatusDto.From(services.GetRequiredService<RetroHunt>()),
                Node: fleetStatus.Node,
                Store: fleetStatus.Json(),
                UptimeSeconds: (long)(time.GetUtcNow() - process.StartTime.ToUniversalTime()).TotalSeconds,
                Interception: interceptor.Authority is { } authority
                    ? new InterceptionStatusDto(services.GetRequiredService<TlsOptions>().Intercept.Mode, authority.Certificate.Subject, authority.ExpiresAt, authority.Minted)
                    : null,
                Memory: MemoryStatusDto.Now(process)));
        });
    }
}
