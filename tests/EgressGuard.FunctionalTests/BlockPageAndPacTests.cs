using System.Net;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>The HTML block page for browsers and the PAC file, over real sockets.</summary>
public sealed class BlockPageAndPacTests : IAsyncLifetime
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private readonly TestDnsServer _dns = new();
    private readonly string _feedFile = Path.Combine(Path.GetTempPath(), $"egressguard-c2-{Guid.NewGuid():N}.txt");
    private TestUpstream _upstream = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _dns.A("good.test", "127.0.0.1").A("listed.test", "127.0.0.66").A("c2.test", "127.0.0.77");
        File.WriteAllText(_feedFile, "127.0.0.77\n");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "", [
            "--BlockPage:Contact=Service desk <x1234>",
            "--BlockPage:Organization=Example Corp",
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={_feedFile}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            "--Pac:Direct:0=.corp.example", "--Pac:Direct:1=10.0.0.0/8", "--Pac:Direct:2=*.lab.example"]);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _dns.Dispose();
        File.Delete(_feedFile);
    }

    private async Task<HttpResponseMessage> GetAsync(string url, string? accept)
    {
        using var client = _proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Forward_BrowserToListedAddress_HtmlBlockPageWithReferenceOfTheLogLine()
    {
        var response = await GetAsync("http://listed.test:8080/private/page?token=s3cret", BrowserAccept);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("deny", response.Headers.GetValues("X-EgressGuard-Decision").Single());
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        Assert.Contains("This site is blocked", html);
        Assert.Contains("Example Corp egress policy", html);
        Assert.Contains("The server&#39;s address 127.0.0.66 is on a block list (list:test-bad-ips).", html);
        Assert.Contains("GET http://listed.test:8080/private/page", html);
        Assert.DoesNotContain("s3cret", html);
        Assert.Contains("Service desk &lt;x1234&gt;", html);
        // Self-contained: nothing that would make the browser fetch anything.
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("href=", html);
        Assert.DoesNotContain("<script", html);

        var reference = response.Headers.GetValues("X-EgressGuard-Reference").Single();
        Assert.Contains($"<code>{reference}</code>", html);
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("server.address") == "listed.test");
        Assert.Equal(reference, line.Str("trace_id"));
        Assert.Equal("403", line.Str("http.response.status_code"));
    }

    [Fact]
    public async Task Forward_BrowserToFeedListedC2_PageNamesFeedAndCategoryInPlainWords()
    {
        var response = await GetAsync("http://c2.test/beacon", BrowserAccept);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("is on a threat list (feed:feodo) of command-and-control servers used by malware.", html);
        Assert.Contains("<code>feed:feodo</code> (entry <code>127.0.0.77</code>)", html);
    }

    [Fact]
    public async Task Forward_NonBrowserDenied_ShortPlainTextBody()
    {
        var response = await GetAsync("http://listed.test/x", "*/*");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.StartsWith("EgressGuard blocked GET listed.test:80", body);
    }

    [Fact]
    public async Task Forward_MarkupInPath_EncodedOnThePage()
    {
        var response = await GetAsync("http://listed.test/%3Cscript%3Ealert(1)%3C/script%3E<b>x</b>", BrowserAccept);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public async Task Forward_BrowserAllowed_UpstreamPageUntouched()
    {
        var response = await GetAsync($"http://good.test:{_upstream.Port}/hello", BrowserAccept);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("X-EgressGuard-Decision"));
    }

    [Theory]
    [InlineData("/proxy.pac")]
    [InlineData("/wpad.dat")]
    public async Task ProxyPort_PacFile_ServedWithDirectExceptionsAndNoDirectFallback(string path)
    {
        using var http = new HttpClient();
        var response = await http.GetAsync($"{_proxy.Url}{path}");
        var pac = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ns-proxy-autoconfig", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("function FindProxyForURL(url, host)", pac);
        Assert.Contains("if (isPlainHostName(host)) return \"DIRECT\";", pac);
        Assert.Contains("if (host == \"corp.example\" || dnsDomainIs(host, \".corp.example\")) return \"DIRECT\";", pac);
        Assert.Contains("if (dnsDomainIs(host, \".lab.example\")) return \"DIRECT\";", pac);
        Assert.Contains("if (isInNet(host, \"10.0.0.0\", \"255.0.0.0\")) return \"DIRECT\";", pac);
        Assert.Contains($"return \"PROXY 127.0.0.1:{_proxy.Port}\";", pac);
    }

    [Fact]
    public async Task AdminListener_PacFile_ServedWithoutToken()
    {
        using var admin = _proxy.CreateAdminClient(token: null);
        var response = await admin.GetAsync("/proxy.pac");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"PROXY 127.0.0.1:{_proxy.Port}", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/rules")).StatusCode);
    }
}

/// <summary>Block page and PAC settings: validated at start, off switches honoured.</summary>
public sealed class BlockPageAndPacSettingsTests
{
    [Fact]
    public async Task Start_BadPacEntries_EveryErrorNamedWithItsKey()
    {
        using var dns = new TestDnsServer();
        var ex = await Assert.ThrowsAsync<EgressGuard.Configuration.ConfigurationErrorsException>(() =>
            TestProxy.StartAsync(dns.Endpoint, "", "", "--Pac:Direct:0=10.0.0.0/33", "--Pac:Direct:1=fd00::/8", "--Pac:ProxyAddress=no-port"));

        Assert.Contains(ex.Errors, e => e.StartsWith("Pac:Direct:0 = '10.0.0.0/33'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Pac:Direct:1 = 'fd00::/8'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Pac:ProxyAddress = 'no-port'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BlockPageDisabled_BrowserGetsPlainText_PacDisabled_400()
    {
        using var dns = new TestDnsServer();
        dns.A("listed.test", "127.0.0.66");
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "127.0.0.66\n", "", "--BlockPage:Enabled=false", "--Pac:Enabled=false", "--Pac:ProxyAddress=proxy.corp.example:8080");
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://listed.test/");
        request.Headers.TryAddWithoutValidation("Accept", "text/html");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"{proxy.Url}/proxy.pac")).StatusCode);
    }

    [Fact]
    public async Task PacFile_SeveralProxyAddresses_FailoverListWithoutDirect()
    {
        using var dns = new TestDnsServer();
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "", "", "--Pac:ProxyAddress=proxy-a.corp.example:3128, proxy-b.corp.example:3128");
        using var http = new HttpClient();

        var script = await http.GetStringAsync($"{proxy.Url}/proxy.pac");

        Assert.Contains("return \"PROXY proxy-a.corp.example:3128; PROXY proxy-b.corp.example:3128\";", script);
        Assert.DoesNotContain("DIRECT\";\n}", script);
    }
}
