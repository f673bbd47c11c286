namespace EgressGuard.AdminConsole;

/// <summary>
/// Serves the admin console at <c>/ui/</c> on the admin listener only (the proxy port never serves
/// it). The files themselves are public (they hold no data); every API call the page makes carries
/// the admin token as <c>Authorization: Bearer</c>, so no cookie is ever set and there is nothing
/// for another site to forge. Runs before the token check, which still guards every API path.
/// </summary>
internal static class ConsoleEndpoints
{
    /// <summary>
    /// Only this origin's files and API; no inline script or style (so an injected string cannot
    /// run), no framing, no form posting anywhere, no plugins.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Use(WebApplication app)
    {
        var assets = new ConsoleAssets();
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (!request.Path.StartsWithSegments("/ui", out var rest))
            {
                await next(context);
                return;
            }

            var response = context.Response;
            SetSecurityHeaders(response.Headers);
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                response.Headers.Allow = "GET, HEAD";
                return;
            }

            // /ui → /ui/ so that the page's relative URLs resolve below /ui/.
            if (!rest.HasValue)
            {
                response.StatusCode = StatusCodes.Status301MovedPermanently;
                response.Headers.Location = "/ui/";
                return;
            }

            if (assets.Find(rest.Value!.TrimStart('/')) is not { } asset)
            {
                response.StatusCode = StatusCodes.Status404NotFound;
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync("not found\n");
                return;
            }

            // Always revalidated: an upgraded program serves its new files at once.
            response.Headers.CacheControl = "no-cache";
            response.Headers.ETag = asset.ETag;
            if (request.Headers.IfNoneMatch == asset.ETag)
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            response.ContentType = asset.ContentType;
            response.ContentLength = asset.Content.Length;
            if (HttpMethods.IsGet(request.Method))
            {
                await response.Body.WriteAsync(asset.Content, context.RequestAborted);
            }
        });
    }

    private static void SetSecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
    }
}
