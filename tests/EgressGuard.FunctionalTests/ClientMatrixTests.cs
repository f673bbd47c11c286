using System.Net;
using System.Security.Cryptography.X509Certificates;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// The client matrix: real programs pointed at EgressGuard, each against an allowed HTTP upstream,
/// an allowed HTTPS upstream (through CONNECT) and a listed upstream that must be refused.
/// </summary>
public sealed class ClientMatrixTests : IClassFixture<ClientMatrixEnvironment>
{
    private const string Hello = "Hello from the upstream at 127.0.0.1";
    private readonly ClientMatrixEnvironment _env;

    public ClientMatrixTests(ClientMatrixEnvironment env) => _env = env;

    private string AllowedHttp => _env.Url("allowed.test", false, "/page");

    private string AllowedHttps => _env.Url("allowed.test", true, "/page");

    private string ListedHttp => _env.Url("listed.test", false, "/page");

    private string ListedHttps => _env.Url("listed.test", true, "/page");

    [ClientFact("curl", "apt-get install curl")]
    public async Task Curl_AllowedHttpAndHttps_ListedRefused()
    {
        string[] common = ["-sS", "--max-time", "20", "-x", _env.ProxyUrl, "--cacert", _env.CaFile];
        Assert.Contains(Hello, (await ClientPrograms.RunAsync("curl", [.. common, AllowedHttp])).Out);
        Assert.Contains(Hello, (await ClientPrograms.RunAsync("curl", [.. common, AllowedHttps])).Out);

        var listed = await ClientPrograms.RunAsync("curl", [.. common, "-o", "/dev/null", "-w", "%{http_code}", ListedHttp]);
        Assert.Equal("403", listed.Out);
        var tunnel = await ClientPrograms.RunAsync("curl", [.. common, ListedHttps]);
        Assert.Equal(56, tunnel.Exit);  // CURLE_RECV_ERROR: "CONNECT tunnel failed, response 403"
        Assert.Contains("403", tunnel.Err);
    }

    [ClientFact("wget", "apt-get install wget")]
    public async Task Wget_AllowedHttpAndHttps_ListedRefused()
    {
        string[] common = ["--no-config", "-O", "-", "--tries=1", "--timeout=20", "-e", "use_proxy=yes", "-e", $"http_proxy={_env.ProxyUrl}", "-e", $"https_proxy={_env.ProxyUrl}", $"--ca-certificate={_env.CaFile}"];
        var env = new Dictionary<string, string>();
        var http = await ClientPrograms.RunAsync("wget", [.. common, AllowedHttp], env);
        Assert.True(http.Out.Contains(Hello, StringComparison.Ordinal), http.Err);
        var https = await ClientPrograms.RunAsync("wget", [.. common, AllowedHttps], env);
        Assert.True(https.Out.Contains(Hello, StringComparison.Ordinal), https.Err);

        var listed = await ClientPrograms.RunAsync("wget", [.. common, ListedHttp], env);
        Assert.Equal(8, listed.Exit);  // server issued an error response
        Assert.Contains("403", listed.Err);
        var tunnel = await ClientPrograms.RunAsync("wget", [.. common, ListedHttps], env);
        Assert.NotEqual(0, tunnel.Exit);
        Assert.Contains("Forbidden", tunnel.Err);
    }

    [ClientFact("python3", "apt-get install python3")]
    public async Task PythonUrllib_AllowedHttpAndHttps_ListedRefused()
    {
        var script = Path.Combine(ClientPrograms.RepoRoot, "tests", "clients", "python", "fetch.py");
        Task<(int Exit, string Out, string Err)> Fetch(string url) => ClientPrograms.RunAsync("python3", [script, url, _env.ProxyUrl, _env.CaFile]);

        Assert.Contains(Hello, (await Fetch(AllowedHttp)).Out);
        Assert.Contains(Hello, (await Fetch(AllowedHttps)).Out);
        var listed = await Fetch(ListedHttp);
        Assert.StartsWith("STATUS 403", listed.Out);
        Assert.Contains("EgressGuard blocked GET listed.test", listed.Out);
        var tunnel = await Fetch(ListedHttps);
        Assert.Equal(2, tunnel.Exit);
        Assert.Contains("Tunnel connection failed: 403", tunnel.Out);
    }

    [ClientFact("undici", "npm install --prefix tests/clients/node")]
    public async Task NodeUndiciProxyAgent_AllowedHttpAndHttps_ListedRefused()
    {
        var script = Path.Combine(ClientPrograms.NodeClientDirectory, "fetch.js");
        Task<(int Exit, string Out, string Err)> Fetch(string url) =>
            ClientPrograms.RunAsync("node", [script, url, _env.ProxyUrl, _env.CaFile], workingDirectory: ClientPrograms.NodeClientDirectory);

        Assert.Contains(Hello, (await Fetch(AllowedHttp)).Out);
        Assert.Contains(Hello, (await Fetch(AllowedHttps)).Out);
        // undici's ProxyAgent tunnels http:// through CONNECT too, so both listed cases are refused tunnels.
        foreach (var url in new[] { ListedHttp, ListedHttps })
        {
            var listed = await Fetch(url);
            Assert.NotEqual(0, listed.Exit);
            Assert.Contains("403", listed.Out);
        }
    }

    [Fact]
    public async Task DotNetHttpClientWebProxy_AllowedHttpAndHttps_ListedRefused()
    {
        var trusted = _env.Certificate.Thumbprint;
        using var handler = new HttpClientHandler
        {
            Proxy = new WebProxy(_env.ProxyUrl),
            UseProxy = true,
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == trusted,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };

        Assert.Contains(Hello, await client.GetStringAsync(AllowedHttp));
        Assert.Contains(Hello, await client.GetStringAsync(AllowedHttps));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(ListedHttp)).StatusCode);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(ListedHttps));
        Assert.Equal(HttpRequestError.ProxyTunnelError, refused.HttpRequestError);
    }

    [ClientFact("git", "apt-get install git")]
    public async Task GitLsRemote_DumbHttpAndHttps_ListedRefused()
    {
        var env = new Dictionary<string, string> { ["HOME"] = _env.Directory, ["GIT_CONFIG_NOSYSTEM"] = "1", ["GIT_TERMINAL_PROMPT"] = "0", ["GIT_SSL_CAINFO"] = _env.CaFile };
        Task<(int Exit, string Out, string Err)> LsRemote(string url) => ClientPrograms.RunAsync(
            "git", ["-c", $"http.proxy={_env.ProxyUrl}", "ls-remote", url], env);

        var http = await LsRemote(_env.Url("allowed.test", false, "/repo.git"));
        Assert.True(http.Exit == 0, http.Err);
        Assert.Matches("^[0-9a-f]{40}\tHEAD", http.Out);
        Assert.Contains("refs/heads/main", http.Out);
        var https = await LsRemote(_env.Url("allowed.test", true, "/repo.git"));
        Assert.True(https.Exit == 0, https.Err);
        Assert.Contains("refs/heads/main", https.Out);

        var listed = await LsRemote(_env.Url("listed.test", false, "/repo.git"));
        Assert.NotEqual(0, listed.Exit);
        Assert.Contains("403", listed.Err);
        var tunnel = await LsRemote(_env.Url("listed.test", true, "/repo.git"));
        Assert.NotEqual(0, tunnel.Exit);
        Assert.Contains("403", tunnel.Err);
    }

    [ClientFact("chromium", "apt-get install chromium")]
    public async Task Chromium_ProxyServer_AllowedPagesLoad_ListedShowsBlockPage()
    {
        string[] proxy = [$"--proxy-server={_env.ProxyUrl}", "--proxy-bypass-list=<-loopback>"];

        Assert.Contains(Hello, await ChromiumDomAsync(proxy, AllowedHttp));
        Assert.Contains(Hello, await ChromiumDomAsync(proxy, AllowedHttps));

        var blocked = await ChromiumDomAsync(proxy, ListedHttp);
        Assert.Contains("This site is blocked", blocked);
        Assert.Contains("127.0.0.66 is on a block list (list:test-bad-ips)", blocked);
        Assert.Contains("the service desk (ext. 1234)", blocked);
        var reference = System.Text.RegularExpressions.Regex.Match(blocked, "id=\"reference\"><code>([0-9a-f]{32})</code>").Groups[1].Value;
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("trace_id") == reference);
        Assert.Equal("listed.test", line.Str("server.address"));

        // The artefact: what a user sees. Kept beside the test binaries (TestResults-style).
        var screenshot = await ChromiumScreenshotAsync(proxy, ListedHttp, "block-page.png");
        Assert.True(new FileInfo(screenshot).Length > 5_000, "the screenshot is not a rendered page");

        // HTTPS to a listed address: the CONNECT is refused; browsers show their own error, not the proxy's body.
        Assert.DoesNotContain("Hello", await ChromiumDomAsync(proxy, ListedHttps));
        var connect = await _env.Proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "listed.test");
        Assert.Equal("deny", connect.Str("egressguard.decision"));
    }

    [ClientFact("chromium", "apt-get install chromium")]
    public async Task Chromium_ProxyPacUrl_AllowedPageLoads_ListedShowsBlockPage()
    {
        string[] pac = [$"--proxy-pac-url={_env.ProxyUrl}/proxy.pac"];

        Assert.Contains(Hello, await ChromiumDomAsync(pac, AllowedHttp));
        Assert.Contains(Hello, await ChromiumDomAsync(pac, AllowedHttps));
        Assert.Contains("This site is blocked", await ChromiumDomAsync(pac, ListedHttp));
    }

    private async Task<string> ChromiumDomAsync(string[] proxy, string url)
    {
        var (exit, stdout, stderr) = await ClientPrograms.RunAsync("chromium", [.. ChromiumArgs(), .. proxy, "--dump-dom", url], timeout: TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, $"chromium exit {exit}: {stderr}");
        return stdout;
    }

    private async Task<string> ChromiumScreenshotAsync(string[] proxy, string url, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.Delete(path);
        var (exit, _, stderr) = await ClientPrograms.RunAsync("chromium", [.. ChromiumArgs(), .. proxy, "--window-size=1000,760", $"--screenshot={path}", url], timeout: TimeSpan.FromSeconds(90));
        Assert.True(exit == 0 && File.Exists(path), $"chromium exit {exit}: {stderr}");
        return path;
    }

    private string[] ChromiumArgs() =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-features=Translate,MediaRouter",
        "--ignore-certificate-errors", $"--user-data-dir={Path.Combine(_env.Directory, "chromium-" + Guid.NewGuid().ToString("N"))}",
        "--virtual-time-budget=5000",
    ];
}
