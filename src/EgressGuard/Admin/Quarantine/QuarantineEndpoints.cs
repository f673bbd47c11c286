using EgressGuard.Quarantine;
using EgressGuard.Storage;

namespace EgressGuard.Admin.Quarantine;

/// <summary><c>/quarantine</c>: list, add, extend and release quarantined sources; every change audited with its actor.</summary>
internal static class QuarantineEndpoints
{
    public static void Map(IEndpointRouteBuilder app, QuarantineService quarantine)
    {
        app.MapGet("/quarantine", () => Results.Json(quarantine.Store.Active().Select(QuarantineEntryDto.From)));
        app.MapPost("/quarantine", async (QuarantineRequest request, HttpContext context) =>
        {
            var errors = new List<string>();
            if (!IPAddress.TryParse(request.Address, out var address))
            {
                errors.Add($"address = '{request.Address}': not an IP address");
            }

            TimeSpan? duration = null;
            if (request.Duration is not null)
            {
                if (AdminDuration.TryParse(request.Duration, out var d))
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
                return AdminProblems.BadRequest("Invalid quarantine request", errors);
            }

            try
            {
                var entry = await quarantine.AddAsync(address!, duration, request.Reason, AdminAuthentication.Actor(context));
                return Results.Json(QuarantineEntryDto.From(entry), statusCode: 201);
            }
            catch (StoreUnavailableException ex)
            {
                return Unavailable(ex);
            }
        });
        app.MapPost("/quarantine/{address}/extend", async (string address, QuarantineRequest request, HttpContext context) =>
        {
            if (!IPAddress.TryParse(address, out var ip) || request.Duration is null || !AdminDuration.TryParse(request.Duration, out var duration))
            {
                return AdminProblems.BadRequest("Invalid extend request", [$"address = '{address}' must be an IP address and duration = '{request.Duration}' a duration such as 4h"]);
            }

            try
            {
                return Answer(address, await quarantine.ExtendAsync(ip, duration, AdminAuthentication.Actor(context)));
            }
            catch (StoreUnavailableException ex)
            {
                return Unavailable(ex);
            }
        });
        app.MapDelete("/quarantine/{address}", async (string address, HttpContext context) =>
        {
            if (!IPAddress.TryParse(address, out var ip))
            {
                return AdminProblems.BadRequest("Invalid address", [$"address = '{address}': not an IP address"]);
            }

            try
            {
                return Answer(address, await quarantine.ReleaseAsync(ip, AdminAuthentication.Actor(context)));
            }
            catch (StoreUnavailableException ex)
            {
                return Unavailable(ex);
            }
        });
    }

    /// <summary>Fleet mode with the shared store away: refused, never half-applied.</summary>
    private static IResult Unavailable(StoreUnavailableException ex) =>
        AdminProblems.StoreUnavailable($"the shared quarantine store is unavailable ({ex.Message}); nothing was changed");

    /// <summary>The entry as changed, or 404 when the address was not quarantined.</summary>
    private static IResult Answer(string address, QuarantineEntry? entry) =>
        entry is null ? AdminProblems.NotFound($"{address} is not quarantined") : Results.Json(QuarantineEntryDto.From(entry));
}
