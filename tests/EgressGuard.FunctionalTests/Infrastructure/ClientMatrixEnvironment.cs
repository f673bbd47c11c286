using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// What the client matrix runs against: one web server answering on 127.0.0.1 ("allowed.test") and
/// on the listed 127.0.0.66 ("listed.test"), each over HTTP and HTTPS on the same ports, serving an
/// HTML page and a git repository (dumb HTTP); the real DNS server; the proxy. The names resolve
/// only through the test DNS server, so a client that bypassed the proxy could not reach them at all.
/// </summary>
public sealed class ClientMatrixEnvironment : IAsyncLifetime
{
    public const string ListedAddress = "127.0.0.66";

    private WebApplication _web = null!;

    public TestDnsServer Dns { get; } = new();

    public TestProxy Proxy { get; private set; } = null!;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "egressguard-clients", Guid.NewGuid().ToString("N"));

    public X509Certificate2 Certificate { get; } = TestCertificates.Create("allowed.test");

    /// <summary>The upstream's certificate as PEM: the trust anchor each client is given for HTTPS.</summary>
    public string CaFile { get; private set; } = null!;

    public int HttpPort { get; private set; }

    public int HttpsPort { get; private set; }

    public string ProxyUrl => Proxy.Url;

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        CaFile = TestCertificates.WritePem(Certificate, Directory);
        await CreateRepositoryAsync();

        // The same port on two addresses needs a port picked in advance; another test may take it
        // in between, so pick again on "address in use".
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartWebAsync();
                break;
            }
            catch (IOException) when (attempt < 10)
            {
                await _web.DisposeAsync();
            }
        }

        Dns.A("allowed.test", "127.0.0.1").A("listed.test", ListedAddress);
        Proxy = await TestProxy.StartAsync(Dns.Endpoint, ListedAddress + "\n", "", "--BlockPage:Contact=the service desk (ext. 1234)");
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await _web.DisposeAsync();
        Dns.Dispose();
        Certificate.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartWebAsync()
    {
        HttpPort = ForwardingTests.FreeTcpPort();
        HttpsPort = ForwardingTests.FreeTcpPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in new[] { IPAddress.Loopback, IPAddress.Parse(ListedAddress) })
            {
                kestrel.Listen(address, HttpPort);
                kestrel.Listen(address, HttpsPort, listen => listen.UseHttps(Certificate));
            }
        });
        _web = builder.Build();
        _web.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(Directory, "served")),
            ServeUnknownFileTypes = true,
            DefaultContentType = "application/octet-stream",
        });
        _web.MapGet("/page", (HttpContext c) => Results.Content(
            $"<!DOCTYPE html><html><head><title>Allowed upstream</title></head><body><h1 id=\"msg\">Hello from the upstream at {c.Connection.LocalIpAddress}</h1></body></html>",
            "text/html; charset=utf-8"));
        await _web.StartAsync();
    }

    public string Url(string host, bool https, string path) => $"{(https ? "https" : "http")}://{host}:{(https ? HttpsPort : HttpPort)}{path}";

    /// <summary>A bare repository with one commit, prepared for git's dumb HTTP protocol (static files).</summary>
    private async Task CreateRepositoryAsync()
    {
        if (!ClientPrograms.IsAvailable("git"))
        {
            return;
        }

        var work = Path.Combine(Directory, "work");
        var bare = Path.Combine(Directory, "served", "repo.git");
        System.IO.Directory.CreateDirectory(work);
        var env = new Dictionary<string, string> { ["HOME"] = Directory, ["GIT_CONFIG_NOSYSTEM"] = "1" };
        string[][] steps =
        [
            ["init", "-q", "-b", "main", work],
            ["-C", work, "-c", "user.name=Test", "-c", "user.email=test@example.test", "commit", "-q", "--allow-empty", "-m", "first"],
            ["clone", "-q", "--bare", work, bare],
            ["-C", bare, "update-server-info"],
        ];
        foreach (var step in steps)
        {
            var (exit, _, err) = await ClientPrograms.RunAsync("git", step, env);
            if (exit != 0)
            {
                throw new InvalidOperationException($"git {string.Join(' ', step)} failed: {err}");
            }
        }
    }
}
