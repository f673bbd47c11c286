using EgressGuard.Clients;
using EgressGuard.Exchange;

namespace EgressGuard.Forwarding;

/// <summary>
/// Writes a <see cref="ProxyResponse"/> on the HTTP pipeline: as plain text, or for a browser's
/// denied request as the block page (same status, headers and reference). After the response has
/// started nothing can be said any more: the connection is aborted.
/// </summary>
internal sealed class ProxyResponseWriter
{
    private readonly BlockPage _blockPage;

    public ProxyResponseWriter(BlockPage blockPage) => _blockPage = blockPage;

    /// <summary>
    /// Answers the exchange with <paramref name="decision"/>'s response (403, 400, 502…) and makes it
    /// the exchange's decision, so its line, row and span say what the client was told.
    /// </summary>
    public Task RefuseAsync(HttpContext context, ProxyExchange exchange, Decision decision, bool closeConnection = false)
    {
        exchange.Decision = decision;
        if (closeConnection)
        {
            context.Response.Headers.Connection = "close";
        }

        return RespondAsync(context, exchange, ProxyResponse.ForDecision(decision, context.Request.Method, exchange.TraceId));
    }

    public async Task RespondAsync(HttpContext context, ProxyExchange exchange, ProxyResponse response)
    {
        exchange.Status = response.Status;
        if (response.Decision is { Action: DecisionAction.Deny, Target: { } target } decision && !context.Response.HasStarted && _blockPage.Wants(context.Request))
        {
            // A browser: the same decision as a page a person can read; headers and reference unchanged.
            StartResponse(context, response);
            var url = exchange.Scheme == "https" ? $"https://{target.Authority(443)}{exchange.Path}" : $"http://{target.Authority(80)}{exchange.Path}";
            await BlockPage.WriteAsync(context.Response, _blockPage.Render(decision, context.Request.Method, url, exchange.TraceId));
            return;
        }

        await WriteAsync(context, response);
    }

    /// <summary>The response as plain text (the proxy's own refusals, which are no exchange: a request to the proxy itself).</summary>
    public static Task WriteAsync(HttpContext context, ProxyResponse response)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        StartResponse(context, response);
        var body = System.Text.Encoding.UTF8.GetBytes(response.Body);
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private static void StartResponse(HttpContext context, ProxyResponse response)
    {
        context.Response.Clear();
        context.Response.StatusCode = response.Status;
        // Appended, not set: a 407 carries one Proxy-Authenticate header per scheme.
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers.Append(name, value);
        }
    }
}
