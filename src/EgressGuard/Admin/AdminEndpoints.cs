using System.Net;
using System.Text.Json;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Policy;
using EgressGuard.Rules;
using EgressGuard.Telemetry;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Admin;

/// <summary>
/// The admin API. <c>/healthz</c>, <c>/readyz</c> and the PAC file answer without a token; everything else needs
/// <c>Authorization: Bearer TOKEN</c>. JSON in and out; errors are <c>application/problem+json</c>.
/// </summary>
internal static class AdminEndpoints
{
    private const string ActorKey = "egressguard.actor";

    public static void Map(WebApplication app, IServiceProvider services)
    {
        var tokens = services.GetRequiredService<AdminTokens>();
        var store = services.GetRequiredService<RulesStore>();
        var audit = services.GetRequiredService<AuditLog>();
        var policy = services.GetRequiredService<EgressPolicy>();
        var policySource = services.GetRequiredService<IPolicySource>();
        var feeds = services.GetRequiredService<FeedManager>();
        var recent = services.GetRequiredService<RecentDecisions>();
        var time = services.GetRequiredService<TimeProvider>();
        var pac = services.GetRequiredService<Clients.PacFile>();
        var telemetry = services.GetRequiredService<TelemetryOptions>();
        if (telemetry.Prometheus && telemetry.PrometheusAnonymous)
        {
            MapPrometheus(app, services);
        }

        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/readyz"))
            {
                await next(context);
                return;
            }

            // Browsers fetch the PAC file without credentials; it holds nothing secret.
            if (pac.Serves(context.Request))
            {
                await pac.WriteAsync(context);
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var actor = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? tokens.Authenticate(header["Bearer ".Length..].Trim()) : null;
            if (actor is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"egressguard-admin\"";
                await Results.Problem(
                    statusCode: 401,
                    title: "Unauthorized",
                    detail: string.IsNullOrEmpty(header) ? "send Authorization: Bearer TOKEN" : "the token is not valid").ExecuteAsync(context);
                return;
            }

            context.Items[ActorKey] = actor;
            await next(context);
        });

        if (telemetry.Prometheus && !telemetry.PrometheusAnonymous)
        {
            MapPrometheus(app, services);
        }

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () =>
        {
            var missing = policySource.Current.MissingRequiredFeeds;
            return missing.Count == 0
                ? Results.Text("ready\n")
                : Results.Problem(statusCode: 503, title: "Not ready", detail: $"required feed(s) not loaded: {string.Join(", ", missing)}");
        });

        MapRules(app, store, audit, time);

        app.MapPost("/explain", async (ExplainRequest request, CancellationToken cancellationToken) =>
        {
            var errors = new List<string>();
            IPAddress? client = null;
            if (request.Client is not null && !IPAddress.TryParse(request.Client, out client))
            {
                errors.Add($"client = '{request.Client}': not an IP address");
            }

            Target? target = null;
            if (string.IsNullOrWhiteSpace(request.Destination))
            {
                errors.Add("destination is required (a name or an address)");
            }
            else if (!TargetParser.TryParseAuthority(Authority(request.Destination, request.Port), -1, out target, out var targetError))
            {
                errors.Add($"destination = '{request.Destination}': {targetError}");
            }

            if (errors.Count > 0)
            {
                return Problem400("Invalid explain request", errors);
            }

            var identity = new ClientIdentity(client is null ? null : AddressNormalizer.Canonicalize(client), request.User, request.Groups);
            var (decision, steps) = await policy.ExplainAsync(target!, identity, cancellationToken);
            return Results.Json(new
            {
                decision = DecisionJson(decision),
                status = Proxy.ProxyResponse.StatusFor(decision),
                steps = steps.Select(s => new { subject = s.Subject, rule = s.Rule, action = s.Action, result = s.Result, detail = s.Detail }),
                rulesVersion = policySource.Current.Rules.Version,
            });
        });

        var tunnels = services.GetRequiredService<Proxy.TunnelRegistry>();
        var limiter = services.GetRequiredService<Proxy.ConnectionLimiter>();
        var decisionLog = services.GetRequiredService<DecisionLog>();
        app.MapGet("/status", () => Results.Json(new
        {
            policyVersion = policySource.Current.Version,
            rulesVersion = policySource.Current.Rules.Version,
            openConnections = limiter.Open,
            openTunnels = tunnels.Count,
            rssBytes = Environment.WorkingSet,
            managedHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            gcCollections = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) },
            threads = System.Diagnostics.Process.GetCurrentProcess().Threads.Count,
            openFiles = Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : -1,
            decisionLinesDropped = decisionLog.Dropped,
            alertSinksDown = services.GetRequiredService<Alerts.AlertDispatcher>().Status.Where(x => !x.Up).Select(x => x.Name).ToArray(),
            historyRecordsWritten = services.GetRequiredService<History.HistoryService>().Writer?.Written,
            historyRecordsDropped = services.GetRequiredService<History.HistoryService>().Writer?.Dropped,
            uptimeSeconds = (long)(time.GetUtcNow() - System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime()).TotalSeconds,
            interception = services.GetRequiredService<Interception.TlsInterceptor>().Authority is { } authority
                ? new { mode = services.GetRequiredService<Proxy.TlsOptions>().Intercept.Mode, ca = authority.Certificate.Subject, caExpires = authority.ExpiresAt, certificatesMinted = authority.Minted }
                : null,
        }));

        MapAlerts(app, services);
        MapQuarantine(app, services);
        MapHistory(app, services);

        app.MapGet("/feeds", () => Results.Json(feeds.States.Select(s => new
        {
            name = s.Name,
            source = FeedSourceRedactor.Redact(s.Options.Source),
            format = FeedFormats.Name(s.Format),
            mode = s.Mode.ToString().ToLowerInvariant(),
            category = s.Options.Category,
            required = s.Options.Required,
            loaded = s.Loaded,
            entries = s.EntryCount,
            version = s.Version,
            loadedAt = s.LoadedAt,
            ageSeconds = s.LoadedAt is { } at ? (long?)(time.GetUtcNow() - at).TotalSeconds : null,
            fromCache = s.FromCache,
            lastAttempt = s.LastAttempt,
            lastSuccess = s.LastSuccess,
            lastError = s.LastError,
            consecutiveFailures = s.ConsecutiveFailures,
            hygiene = s.Hygiene.ToString(),
        })));

        app.MapGet("/decisions", (string? decision, string? client, string? destination, int? limit) =>
        {
            var items = recent.Newest()
                .Where(x => decision is null || string.Equals(x.Decision is null ? "error" : DecisionLogFormatter.ActionName(x.Decision.Action), decision, StringComparison.OrdinalIgnoreCase))
                .Where(x => client is null || x.Client?.Address.ToString() == client)
                .Where(x => destination is null || (x.Decision?.Target?.Host ?? x.RawTarget ?? string.Empty).Contains(destination, StringComparison.OrdinalIgnoreCase))
                .Take(Math.Clamp(limit ?? 100, 1, 10_000));
            return Results.Stream(async stream =>
            {
                await using var json = new Utf8JsonWriter(stream);
                json.WriteStartArray();
                foreach (var item in items)
                {
                    DecisionLogFormatter.Write(json, item);
                }

                json.WriteEndArray();
            }, "application/json");
        });
    }

    private static void MapRules(WebApplication app, RulesStore store, AuditLog audit, TimeProvider time)
    {
        app.MapGet("/rules", () => Results.Json(RulesJson(store.Current, store.Path, time.GetUtcNow())));

        app.MapGet("/rules/{id}", (string id) =>
            store.Current.Find(id) is { } rule ? Results.Json(rule.Definition) : NotFound(id));

        app.MapPost("/rules", async (RuleDto rule, HttpContext context) =>
        {
            if (string.IsNullOrWhiteSpace(rule.Id))
            {
                return Problem400("Invalid rule", ["id is required"]);
            }

            if (store.Current.Find(rule.Id) is not null)
            {
                return Results.Problem(statusCode: 409, title: "Conflict", detail: $"rule '{rule.Id}' already exists; PUT /rules/{rule.Id} to change it");
            }

            var actor = Actor(context);
            rule.CreatedBy ??= actor;
            rule.CreatedAt ??= time.GetUtcNow();
            var change = await store.EditAsync(document =>
            {
                // Before the built-in entries unless a position is given.
                var firstBuiltin = document.Rules.FindIndex(r => r.Builtin);
                var index = rule.Position is { } position ? Math.Clamp(position, 0, document.Rules.Count) : (firstBuiltin < 0 ? document.Rules.Count : firstBuiltin);
                var stored = rule.Clone();
                stored.Position = null;
                document.Rules.Insert(index, stored);
                return (document, null);
            }, new HashSet<string> { rule.Id });
            return Apply(change, audit, actor, "create", rule.Id, () => Results.Created($"/rules/{rule.Id}", change.Rules!.Find(rule.Id)!.Definition));
        });

        app.MapPut("/rules/{id}", async (string id, RuleDto rule, HttpContext context) =>
        {
            if (rule.Id is not null && rule.Id != id)
            {
                return Problem400("Invalid rule", [$"id in the body ('{rule.Id}') differs from the URL ('{id}')"]);
            }

            if (store.Current.Find(id) is not { } existing)
            {
                return NotFound(id);
            }

            rule.Id = id;
            rule.Builtin = existing.Kind != RuleKind.User;
            rule.CreatedBy ??= existing.Definition.CreatedBy;
            rule.CreatedAt ??= existing.Definition.CreatedAt;
            var change = await store.EditAsync(document =>
            {
                var index = document.Rules.FindIndex(r => r.Id == id);
                if (index < 0)
                {
                    return (null, $"rule '{id}' no longer exists");
                }

                var stored = rule.Clone();
                stored.Position = null;
                document.Rules.RemoveAt(index);
                document.Rules.Insert(rule.Position is { } position ? Math.Clamp(position, 0, document.Rules.Count) : index, stored);
                return (document, null);
            }, new HashSet<string> { id });
            return Apply(change, audit, Actor(context), "update", id, () => Results.Json(change.Rules!.Find(id)!.Definition));
        });

        app.MapDelete("/rules/{id}", async (string id, HttpContext context) =>
        {
            if (store.Current.Find(id) is not { } existing)
            {
                return NotFound(id);
            }

            if (existing.Kind != RuleKind.User)
            {
                return Problem400("Cannot delete", [$"'{id}' is a built-in entry: move it with POST /rules/reorder instead"]);
            }

            var change = await store.EditAsync(document =>
            {
                var removed = document.Rules.RemoveAll(r => r.Id == id);
                return removed == 0 ? (null, $"rule '{id}' no longer exists") : (document, null);
            });
            return Apply(change, audit, Actor(context), "delete", id, Results.NoContent);
        });

        app.MapPost("/rules/reorder", async (ReorderRequest request, HttpContext context) =>
        {
            var change = await store.EditAsync(document =>
            {
                var current = document.Rules.Select(r => r.Id!).ToList();
                var order = request.Order ?? [];
                if (order.Count != current.Count || !order.ToHashSet().SetEquals(current))
                {
                    return (null, $"order must list every entry exactly once: {string.Join(", ", current)}");
                }

                var byId = document.Rules.ToDictionary(r => r.Id!);
                return (new RulesDocument { Rules = order.Select(id => byId[id]).ToList() }, null);
            });
            return Apply(change, audit, Actor(context), "reorder", null, () => Results.Json(RulesJson(change.Rules!, store.Path, time.GetUtcNow())));
        });

        app.MapGet("/rules/history", () => Results.Json(store.History().Select(h => new { version = h.Version, time = h.Time })));

        app.MapPost("/rules/rollback/{version:long}", async (long version, HttpContext context) =>
        {
            var change = await store.RollbackAsync(version);
            if (!change.Applied && change.Errors.Any(e => e.Contains("not in the history", StringComparison.Ordinal)))
            {
                return Results.Problem(statusCode: 404, title: "Not found", detail: change.Errors[0]);
            }

            return Apply(change, audit, Actor(context), $"rollback to {version}", null, () => Results.Json(RulesJson(change.Rules!, store.Path, time.GetUtcNow())));
        });
    }

    private static IResult Apply(RulesChange change, AuditLog audit, string actor, string action, string? ruleId, Func<IResult> success)
    {
        if (!change.Applied)
        {
            return Problem400("Rules not changed", change.Errors);
        }

        object? Find(RulesDocument? document) => ruleId is null ? document : document?.Rules.FirstOrDefault(r => r.Id == ruleId);
        audit.Record(actor, action, ruleId, Find(change.Before), ruleId is null ? change.Rules!.ToDocument() : change.Rules!.Find(ruleId)?.Definition, change.Rules!.Version);
        return success();
    }

    private static object RulesJson(RuleSet rules, string path, DateTimeOffset now) => new
    {
        version = rules.Version,
        file = path,
        defaultAction = rules.DefaultAllow ? "allow" : "deny",
        rules = rules.Rules.Select((r, i) => new { position = i, expired = r.IsExpired(now), rule = r.Definition }),
    };

    private static object DecisionJson(Decision d) => new
    {
        action = DecisionLogFormatter.ActionName(d.Action),
        reason = d.Reason,
        rule = d.Rule,
        entry = d.Entry,
        matchedAddress = d.MatchedAddress?.ToString(),
        matchedName = d.MatchedName,
        target = d.Target?.ToString(),
        resolvedAddresses = d.ResolvedAddresses.Select(a => a.ToString()),
        cnames = d.CanonicalNames,
        approved = d.Approved.Select(a => a.ToString()),
        matches = d.Matches.Select(m => new { rule = m.Rule, entry = m.Entry, address = m.Matched, category = m.Category, version = m.Version, mode = m.Mode.ToString().ToLowerInvariant() }),
        wouldDeny = d.WouldDeny is { } w ? $"{w.Rule} {w.Entry}" : null,
        detail = d.Detail,
    };

    private static string Authority(string destination, int? port)
    {
        var host = destination.Contains(':', StringComparison.Ordinal) && !destination.StartsWith('[') ? $"[{destination}]" : destination;
        return $"{host}:{port ?? 443}";
    }

    private static string Actor(HttpContext context) => context.Items[ActorKey] as string ?? "unknown";

    private static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "Not found", detail: $"no rule '{id}'");

    private static IResult Problem400(string title, IReadOnlyList<string> errors) =>
        Results.Problem(statusCode: 400, title: title, detail: string.Join("; ", errors), extensions: new Dictionary<string, object?> { ["errors"] = errors });

    internal sealed record ExplainRequest(string? Client, string? User, List<string>? Groups, string? Destination, int? Port);

    internal sealed record ReorderRequest(List<string>? Order);

    private static void MapAlerts(WebApplication app, IServiceProvider services)
    {
        var tracker = services.GetRequiredService<Alerts.AlertTracker>();
        var dispatcher = services.GetRequiredService<Alerts.AlertDispatcher>();
        app.MapGet("/alerts", (string? source, string? destination, string? kind, int? limit) =>
        {
            IEnumerable<Alerts.Alert> alerts = tracker.Recent();
            if (source is not null)
            {
                alerts = alerts.Where(a => a.SourceAddress?.ToString() == source || string.Equals(a.User, source, StringComparison.OrdinalIgnoreCase));
            }

            if (destination is not null)
            {
                alerts = alerts.Where(a => string.Equals(a.Destination, destination, StringComparison.OrdinalIgnoreCase) || a.ResolvedAddresses.Any(x => x.ToString() == destination));
            }

            if (kind is not null)
            {
                alerts = alerts.Where(a => a.Kind == kind);
            }

            return Results.Json(alerts.Take(Math.Clamp(limit ?? 100, 1, 10_000)).Select(Alerts.AlertJson.Body));
        });
        app.MapGet("/alerts/sinks", () => Results.Json(dispatcher.Status.Select(s => new
        {
            name = s.Name,
            up = s.Up,
            delivered = s.Delivered,
            failures = s.Failures,
            dropped = s.DroppedCount,
            consecutiveFailures = s.ConsecutiveFailures,
            lastDelivered = s.LastDelivered,
            lastFailure = s.LastFailure,
            lastError = s.LastError,
        })));
    }

    private static void MapQuarantine(WebApplication app, IServiceProvider services)
    {
        var quarantine = services.GetRequiredService<Quarantine.QuarantineService>();
        app.MapGet("/quarantine", () => Results.Json(quarantine.Store.Active().Select(Quarantine.QuarantineService.Json)));
        app.MapPost("/quarantine", (QuarantineRequest request, HttpContext context) =>
        {
            var errors = new List<string>();
            if (!IPAddress.TryParse(request.Address, out var address))
            {
                errors.Add($"address = '{request.Address}': not an IP address");
            }

            TimeSpan? duration = null;
            if (request.Duration is not null)
            {
                if (TryDuration(request.Duration, out var d))
                {
                    duration = d;
                }
                else
                {
                    errors.Add($"duration = '{request.Duration}': expected e.g. 30m, 4h, 2d or 01:30:00");
                }
            }

            if (errors.Count > 0)
            {
                return Problem400("Invalid quarantine request", errors);
            }

            var entry = quarantine.Add(address!, duration, request.Reason, Actor(context));
            return Results.Json(Quarantine.QuarantineService.Json(entry), statusCode: 201);
        });
        app.MapPost("/quarantine/{address}/extend", (string address, QuarantineRequest request, HttpContext context) =>
        {
            if (!IPAddress.TryParse(address, out var ip) || request.Duration is null || !TryDuration(request.Duration, out var duration))
            {
                return Problem400("Invalid extend request", [$"address = '{address}' must be an IP address and duration = '{request.Duration}' a duration such as 4h"]);
            }

            var entry = quarantine.Extend(ip, duration, Actor(context));
            return entry is null
                ? Results.Problem(statusCode: 404, title: "Not found", detail: $"{address} is not quarantined")
                : Results.Json(Quarantine.QuarantineService.Json(entry));
        });
        app.MapDelete("/quarantine/{address}", (string address, HttpContext context) =>
        {
            if (!IPAddress.TryParse(address, out var ip))
            {
                return Problem400("Invalid address", [$"address = '{address}': not an IP address"]);
            }

            var released = quarantine.Release(ip, Actor(context));
            return released is null
                ? Results.Problem(statusCode: 404, title: "Not found", detail: $"{address} is not quarantined")
                : Results.Json(Quarantine.QuarantineService.Json(released));
        });
    }

    private static void MapHistory(WebApplication app, IServiceProvider services)
    {
        var history = services.GetRequiredService<History.HistoryService>();
        var report = services.GetRequiredService<History.Report>();
        var time = services.GetRequiredService<TimeProvider>();
        IResult Off() => Results.Problem(statusCode: 404, title: "History is off", detail: "set History:Enabled to true to keep the investigation history");

        app.MapGet("/history/connections", (string? destination, string? source, string? since, DateTimeOffset? from, DateTimeOffset? to, string? decision, int? limit) =>
        {
            if (history.Queries is null)
            {
                return Off();
            }

            var errors = new List<string>();
            var start = from ?? DateTimeOffset.MinValue;
            if (since is not null)
            {
                if (TryDuration(since, out var span))
                {
                    start = time.GetUtcNow() - span;
                }
                else
                {
                    errors.Add($"since = '{since}': expected e.g. 30m, 24h, 7d");
                }
            }

            var filter = new History.HistoryFilter { Destination = destination, Source = source, From = start, To = to ?? DateTimeOffset.MaxValue, Decision = decision, Limit = limit ?? 100 };
            errors.AddRange(History.HistoryQueries.Validate(filter));
            return errors.Count > 0 ? Problem400("Invalid history query", errors) : Results.Json(history.Queries.Connections(filter));
        });
        app.MapGet("/history/dns", (string? name, DateTimeOffset? at) =>
            history.Queries is null ? Off()
            : string.IsNullOrWhiteSpace(name) ? Problem400("Invalid DNS query", ["name is required (a name, or an address for the names that resolved to it)"])
            : Results.Json(history.Queries.Resolutions(name, at)));
        app.MapGet("/history/top", (string? since, int? limit) =>
        {
            if (history.Queries is null)
            {
                return Off();
            }

            if (!TryDuration(since ?? "24h", out var span))
            {
                return Problem400("Invalid query", [$"since = '{since}': expected e.g. 24h, 7d"]);
            }

            var now = time.GetUtcNow();
            return Results.Json(history.Queries.TopTalkers(now - span, now, limit ?? 20));
        });
        app.MapGet("/report", (string? since) =>
            TryDuration(since ?? "7d", out var span)
                ? Results.Json(report.Build(span))
                : Problem400("Invalid report request", [$"since = '{since}': expected e.g. 24h, 7d"]));
        app.MapPost("/history/retro-hunt", () =>
        {
            services.GetRequiredService<History.RetroHunt>().Request();
            return Results.Accepted();
        });
    }

    /// <summary><c>30m</c>, <c>4h</c>, <c>2d</c> or a TimeSpan (<c>01:30:00</c>); positive, at most a year.</summary>
    internal static bool TryDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length > 1 && double.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            duration = text[^1] switch
            {
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => default,
            };
        }

        if (duration == default && !TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out duration))
        {
            return false;
        }

        return duration > TimeSpan.Zero && duration <= TimeSpan.FromDays(366);
    }

    internal sealed record QuarantineRequest(string? Address, string? Duration, string? Reason);

    /// <summary>The OpenTelemetry Prometheus exporter of the proxy's own meter provider, at <c>/metrics</c>.</summary>
    private static void MapPrometheus(WebApplication app, IServiceProvider services) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            services.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>(),
            context => context.Request.Path == "/metrics",
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
}
