using EgressGuard.Clients;

namespace EgressGuard.Admin;

/// <summary>
/// The bearer-token check in front of every admin endpoint but <c>/healthz</c>, <c>/readyz</c> and the PAC
/// file; the token's name is the actor that the audit log records.
/// </summary>
internal static class AdminAuthentication
{
    private const string ActorKey = "egressguard.actor";

    public static void Use(WebApplication app, IServiceProvider services)
    {
        var tokens = services.GetRequiredService<AdminTokens>();
        var pac = services.GetRequiredService<PacFile>();
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
    }

    /// <summary>The name of the token that authenticated the request.</summary>
    public static string Actor(HttpContext context) => context.Items[ActorKey] as string ?? "unknown";
}
