using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// The console's files as the admin listener serves them, over real HTTP on loopback; no browser
/// needed. The browser cases are in <see cref="AdminConsoleBrowserTests"/>.
/// </summary>
public sealed partial class AdminConsoleTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestProxy _proxy = null!;

    public async Task InitializeAsync() => _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _dns.Dispose();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ConsolePage_NoToken_ServedWithStrictHeaders()
    {
        using var anonymous = _proxy.CreateAdminClient(token: null);
        var response = await anonymous.GetAsync("/ui/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("style-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"app.js\"></script>", html);
    }

    [Fact]
    public void ConsoleFiles_Embedded_NoInlineScriptStyleOrOtherOrigin()
    {
        var assets = new AdminConsole.ConsoleAssets(typeof(AdminConsole.ConsoleAssets).Assembly);
        Assert.Contains("index.html", assets.Paths);
        Assert.Contains("app.js", assets.Paths);
        Assert.Contains("views/rules.js", assets.Paths);
        foreach (var path in assets.Paths)
        {
            var text = Encoding.UTF8.GetString(assets.Find(path)!.Content);

            // Only the SVG namespace name looks like a URL; nothing is loaded from anywhere else.
            var urls = OtherOrigin().Matches(text).Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg").ToList();
            Assert.True(urls.Count == 0, $"{path} names another origin: {string.Join(", ", urls)}");
            if (path.EndsWith(".html", StringComparison.Ordinal))
            {
                Assert.DoesNotMatch(InlineScript(), text);
                Assert.DoesNotContain("<style", text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(" style=", text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotMatch(@"\son[a-z]+\s*=", text);
            }

            if (path.EndsWith(".js", StringComparison.Ordinal))
            {
                Assert.DoesNotMatch(@"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write", text);
                Assert.DoesNotContain("eval(", text, StringComparison.Ordinal);
                Assert.DoesNotContain("document.cookie", text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task ConsoleFiles_OtherPaths_RedirectNotFoundNotAllowed()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_proxy.AdminUrl), Timeout = TimeSpan.FromSeconds(20) };
        var bare = await anonymous.GetAsync("/ui");
        Assert.Equal(HttpStatusCode.MovedPermanently, bare.StatusCode);
        Assert.Equal("/ui/", bare.Headers.Location!.ToString());
        var script = await anonymous.GetAsync("/ui/views/live.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotModified, (await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/ui/views/live.js") { Headers = { { "If-None-Match", script.Headers.ETag!.Tag } } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/ui/nope.js")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await anonymous.PostAsync("/ui/", Json("{}"))).StatusCode);

        // The files are public; the API behind them is not.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/rules")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/uiX")).StatusCode);
    }

    [Fact]
    public async Task ConsolePage_OnProxyPort_NotServed()
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync("GET /ui/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.DoesNotContain(" 200 ", head.Split("\r\n")[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Security-Policy", head, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"https?://[^\s""'`)]+")]
    private static partial Regex OtherOrigin();

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
