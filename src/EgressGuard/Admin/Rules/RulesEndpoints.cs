using EgressGuard.Audit;
using EgressGuard.Rules;

namespace EgressGuard.Admin.Rules;

/// <summary>
/// <c>/rules</c>: list, read, create, replace, delete, reorder, history and rollback. Every change goes through
/// <see cref="RulesStore.EditAsync"/> (validated as a whole, written, swapped in) and is audited with its actor.
/// </summary>
internal static class RulesEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RulesStore store, AuditLog audit, TimeProvider time)
    {
        IResult List(RuleSet rules) => Results.Json(RuleListDto.From(rules, store.Path, time.GetUtcNow()));

        app.MapGet("/rules", () => List(store.Current));

        app.MapGet("/rules/{id}", (string id) =>
            store.Current.Find(id) is { } rule ? Results.Json(rule.Definition) : NotFound(id));

        app.MapPost("/rules", async (RuleDto rule, HttpContext context) =>
        {
            if (string.IsNullOrWhiteSpace(rule.Id))
            {
                return AdminProblems.BadRequest("Invalid rule", ["id is required"]);
            }

            if (store.Current.Find(rule.Id) is not null)
            {
                return Results.Problem(statusCode: 409, title: "Conflict", detail: $"rule '{rule.Id}' already exists; PUT /rules/{rule.Id} to change it");
            }

            var actor = AdminAuthentication.Actor(context);
            rule.CreatedBy ??= actor;
            rule.CreatedAt ??= time.GetUtcNow();
            var change = await store.EditAsync(document =>
            {
                // Before the built-in entries unless a position is given.
                var firstBuiltin = document.Rules.FindIndex(r => r.Builtin);
                var index = rule.Position is { } position ? Math.Clamp(position, 0, document.Rules.Count) : (firstBuiltin < 0 ? document.Rules.Count : firstBuiltin);
                document.Rules.Insert(index, Stored(rule));
                return (document, null);
            }, new HashSet<string> { rule.Id });
            return Apply(change, audit, actor, "create", rule.Id, () => Results.Created($"/rules/{rule.Id}", change.Rules!.Find(rule.Id)!.Definition));
        });

        app.MapPut("/rules/{id}", async (string id, RuleDto rule, HttpContext context) =>
        {
            if (rule.Id is not null && rule.Id != id)
            {
                return AdminProblems.BadRequest("Invalid rule", [$"id in the body ('{rule.Id}') differs from the URL ('{id}')"]);
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

                document.Rules.RemoveAt(index);
                document.Rules.Insert(rule.Position is { } position ? Math.Clamp(position, 0, document.Rules.Count) : index, Stored(rule));
                return (document, null);
            }, new HashSet<string> { id });
            return Apply(change, audit, AdminAuthentication.Actor(context), "update", id, () => Results.Json(change.Rules!.Find(id)!.Definition));
        });

        app.MapDelete("/rules/{id}", async (string id, HttpContext context) =>
        {
            if (store.Current.Find(id) is not { } existing)
            {
                return NotFound(id);
            }

            if (existing.Kind != RuleKind.User)
            {
                return AdminProblems.BadRequest("Cannot delete", [$"'{id}' is a built-in entry: move it with POST /rules/reorder instead"]);
            }

            var change = await store.EditAsync(document =>
            {
                var removed = document.Rules.RemoveAll(r => r.Id == id);
                return removed == 0 ? (null, $"rule '{id}' no longer exists") : (document, null);
            });
            return Apply(change, audit, AdminAuthentication.Actor(context), "delete", id, Results.NoContent);
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
            return Apply(change, audit, AdminAuthentication.Actor(context), "reorder", null, () => List(change.Rules!));
        });

        app.MapGet("/rules/history", async () =>
        {
            try
            {
                return Results.Json((await store.HistoryAsync()).Select(h => new RuleVersionDto(h.Version, h.Time)));
            }
            catch (Exception ex) when (store.Replica is not null && ex is not OperationCanceledException)
            {
                return AdminProblems.StoreUnavailable($"the shared rules history cannot be read: {ex.Message}");
            }
        });

        app.MapPost("/rules/rollback/{version:long}", async (long version, HttpContext context) =>
        {
            var change = await store.RollbackAsync(version);
            if (!change.Applied && change.Errors.Any(e => e.Contains("not in the history", StringComparison.Ordinal)))
            {
                return AdminProblems.NotFound(change.Errors[0]);
            }

            return Apply(change, audit, AdminAuthentication.Actor(context), $"rollback to {version}", null, () => List(change.Rules!));
        });
    }

    /// <summary>The rule as the file keeps it: <see cref="RuleDto.Position"/> only says where to put it.</summary>
    private static RuleDto Stored(RuleDto rule)
    {
        var stored = rule.Clone();
        stored.Position = null;
        return stored;
    }

    /// <summary>The answer to an edit: 400 with every error, or the success result after the change is audited.</summary>
    private static IResult Apply(RulesChange change, AuditLog audit, string actor, string action, string? ruleId, Func<IResult> success)
    {
        if (change.StoreUnavailable)
        {
            return AdminProblems.StoreUnavailable(string.Join("; ", change.Errors));
        }

        if (!change.Applied)
        {
            return AdminProblems.BadRequest("Rules not changed", change.Errors);
        }

        object? Find(RulesDocument? document) => ruleId is null ? document : document?.Rules.FirstOrDefault(r => r.Id == ruleId);
        audit.Record(actor, action, ruleId, Find(change.Before), ruleId is null ? change.Rules!.ToDocument() : change.Rules!.Find(ruleId)?.Definition, change.Rules!.Version);
        return success();
    }

    private static IResult NotFound(string id) => AdminProblems.NotFound($"no rule '{id}'");
}
