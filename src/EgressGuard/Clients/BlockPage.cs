using Microsoft.Net.Http.Headers;

namespace EgressGuard.Clients;

/// <summary>
/// The block page: a small self-contained HTML page (no external assets, no script) that tells a
/// browser user what was blocked, why in plain words, which feed or rule decided, a reference that
/// finds the decision log line (the trace id), and whom to contact. Everything from the request is
/// HTML-encoded; the query string is never shown (it may hold tokens).
/// </summary>
internal sealed class BlockPage(BlockPageOptions options, TimeProvider time)
{
    /// <summary>Nothing may load from anywhere: the page is inline CSS only.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>A browser asks for HTML first-hand; curl, package managers and APIs do not.</summary>
    public bool Wants(HttpRequest request)
    {
        if (!options.Enabled)
        {
            return false;
        }

        foreach (var value in request.Headers.Accept)
        {
            if (value is not null && value.Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public string Render(Decision decision, string method, string url, ActivityTraceId traceId)
    {
        var e = (string? s) => WebUtility.HtmlEncode(s ?? string.Empty);
        var html = new StringBuilder(2048);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>Blocked: ").Append(e(decision.Target?.Host)).Append("</title>")
            .Append("<style>")
            .Append("body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}")
            .Append("main{max-width:42rem;margin:4rem auto;background:#fff;border-top:6px solid #c62828;border-radius:6px;padding:2rem 2.5rem;box-shadow:0 2px 8px rgba(0,0,0,.08)}")
            .Append("h1{font-size:1.5rem;margin:0 0 .25rem}p.org{color:#5a6275;margin:0 0 1.5rem}")
            .Append("dl{display:grid;grid-template-columns:max-content 1fr;gap:.5rem 1rem;margin:1.5rem 0}dt{color:#5a6275}dd{margin:0;word-break:break-all}")
            .Append("code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f0f1f4;padding:.1rem .3rem;border-radius:3px}")
            .Append("p.contact{border-top:1px solid #e3e5ea;padding-top:1rem;color:#3a4150}")
            .Append("</style></head><body><main>")
            .Append("<h1>This site is blocked</h1>")
            .Append("<p class=\"org\">").Append(e(options.Organization)).Append(" egress policy</p>")
            .Append("<p id=\"why\">").Append(e(Why(decision))).Append("</p>")
            .Append("<dl>")
            .Append("<dt>Request</dt><dd id=\"request\"><code>").Append(e(method)).Append(' ').Append(e(url)).Append("</code></dd>");
        if (decision.Rule is not null)
        {
            html.Append("<dt>Blocked by</dt><dd id=\"rule\"><code>").Append(e(decision.Rule)).Append("</code>");
            if (decision.Entry is not null)
            {
                html.Append(" (entry <code>").Append(e(decision.Entry)).Append("</code>)");
            }

            html.Append("</dd>");
        }

        html.Append("<dt>Reason code</dt><dd id=\"reason\"><code>").Append(e(decision.Reason)).Append("</code></dd>")
            .Append("<dt>Time</dt><dd>").Append(time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)).Append("</dd>")
            .Append("<dt>Reference</dt><dd id=\"reference\"><code>").Append(traceId.ToHexString()).Append("</code></dd>")
            .Append("</dl>")
            .Append("<p class=\"contact\">If you need this site for your work, or think this is a mistake, contact ")
            .Append(e(options.Contact)).Append(" and quote the reference above.</p>")
            .Append("</main></body></html>\n");
        return html.ToString();
    }

    /// <summary>The reason in words a user understands; the exact code stays on the page for support.</summary>
    internal static string Why(Decision decision)
    {
        var address = decision.MatchedAddress?.ToString();
        var category = decision.Matches.FirstOrDefault(m => m.Rule == decision.Rule)?.Category;
        return decision.Reason switch
        {
            DecisionReasons.IpList when category is not null =>
                $"The server's address {address} is on a threat list ({decision.Rule}) of {CategoryWords(category)}.",
            DecisionReasons.IpList => $"The server's address {address} is on a block list ({decision.Rule}).",
            DecisionReasons.DomainList when category is not null =>
                $"The name {decision.MatchedName} is on a threat list ({decision.Rule}) of {CategoryWords(category)}.",
            DecisionReasons.DomainList => $"The name {decision.MatchedName} is on a block list ({decision.Rule}).",
            DecisionReasons.NonPublic => $"The name points to an internal or reserved address ({address}), which the proxy does not reach on anyone's behalf.",
            DecisionReasons.Rule => $"An administrator's rule ({decision.Rule}) does not allow this destination.",
            DecisionReasons.DefaultDeny => "This destination is not on the list of allowed destinations.",
            DecisionReasons.SelfLoop => "The address points back at the proxy itself.",
            DecisionReasons.Quarantined => "This computer is in quarantine after repeated attempts to reach known malicious servers: only security and update servers are reachable until it is checked.",
            DecisionReasons.FeedUnavailable => "A required threat list is not loaded yet, so the proxy refuses all traffic until it is.",
            _ => decision.Detail ?? "The egress policy does not allow this destination.",
        };
    }

    private static string CategoryWords(string category) => category.ToLowerInvariant() switch
    {
        "c2" or "botnet" => "command-and-control servers used by malware",
        "malware" or "malware-distribution" => "sites that distribute malware",
        "phishing" => "phishing sites",
        "hijacked" => "hijacked networks run by criminals",
        "attacks" or "scanners" => "addresses known for attacks",
        "compromised" => "compromised hosts",
        "tor" => "Tor exit nodes",
        _ => $"'{category}' destinations",
    };

    /// <summary>Writes the page as the response: 403, HTML, nothing cacheable, nothing loadable.</summary>
    public static Task WriteAsync(HttpResponse response, string html)
    {
        var body = Encoding.UTF8.GetBytes(html);
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = body.Length;
        response.Headers[HeaderNames.CacheControl] = "no-store";
        response.Headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
        response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
        return response.Body.WriteAsync(body).AsTask();
    }
}
