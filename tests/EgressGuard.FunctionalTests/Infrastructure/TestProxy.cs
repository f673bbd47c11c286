using System.Net;
using System.Text.Json;
using EgressGuard.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// The real EgressGuard host on 127.0.0.1:0, configured through a config file and command-line
/// overrides exactly as an admin would, writing its decision log to a file the tests read back.
/// </summary>
public sealed class TestProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private TestProxy(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
        DecisionLogPath = Path.Combine(directory, "decisions.jsonl");
    }

    public string Directory { get; }

    public string DecisionLogPath { get; }

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    public IServiceProvider Services => _app.Services;

    /// <summary>Every program log line of this proxy.</summary>
    public CapturingLoggerProvider Logs { get; private init; } = null!;

    /// <summary>The admin API token every test proxy is configured with.</summary>
    public const string AdminToken = "test-admin-token-0123456789";

    /// <summary>The admin API's address (its own listener).</summary>
    public string AdminUrl => Services.GetRequiredService<EgressGuard.Admin.AdminHost>().Url!;

    /// <summary>An HttpClient for the admin API, with the token unless told otherwise.</summary>
    public HttpClient CreateAdminClient(string? token = AdminToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(AdminUrl), Timeout = TimeSpan.FromSeconds(20) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>
    /// The admin API's <c>/status</c> document: what the program itself counts (open connections,
    /// dropped decision lines...), for tests to wait on instead of sleeping.
    /// </summary>
    public async Task<JsonElement> StatusAsync()
    {
        using var admin = CreateAdminClient();
        using var document = JsonDocument.Parse(await admin.GetStringAsync("/status"));
        return document.RootElement.Clone();
    }

    public static Task<TestProxy> StartAsync(string dnsServer, string badIps, string badDomains, params string[] overrides) =>
        StartAsync(dnsServer, badIps, badDomains, null, overrides);

    public static async Task<TestProxy> StartAsync(string dnsServer, string badIps, string badDomains, Action<IServiceCollection>? configure, params string[] overrides)
    {
        var directory = Path.Combine(Path.GetTempPath(), "egressguard-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "bad-ips.txt"), badIps);
        File.WriteAllText(Path.Combine(directory, "bad-domains.txt"), badDomains);
        var config = new
        {
            Proxy = new { Listen = "127.0.0.1:0", HeadTimeout = "00:00:02", ConnectTimeout = "00:00:02", DrainTimeout = "00:00:01" },
            Dns = new { Servers = new[] { dnsServer }, Timeout = "00:00:02", Retries = 1 },
            Guard = new { Exempt = new[] { "127.0.0.0/8", "::1/128" } },
            Lists = new
            {
                Ip = new[] { new { Path = "bad-ips.txt", Name = "test-bad-ips" } },
                Domain = new[] { new { Path = "bad-domains.txt", Name = "test-bad-domains" } },
            },
            Log = new { DecisionFile = "decisions.jsonl" },
            Admin = new { Listen = "127.0.0.1:0", Token = AdminToken },
        };
        var configPath = Path.Combine(directory, "egressguard.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(config));

        var logs = new CapturingLoggerProvider();
        var app = EgressGuardHost.Build(["--config", configPath, .. overrides], services =>
        {
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
            configure?.Invoke(services);
        });
        var proxy = new TestProxy(app, directory) { Logs = logs };
        await app.StartAsync();
        proxy.Port = new Uri(app.Urls.First()).Port;
        return proxy;
    }

    public HttpClient CreateClient(Func<HttpRequestMessage, System.Security.Cryptography.X509Certificates.X509Certificate2?, System.Security.Cryptography.X509Certificates.X509Chain?, System.Net.Security.SslPolicyErrors, bool>? validate = null)
    {
        var handler = new HttpClientHandler
        {
            Proxy = new WebProxy(Url),
            UseProxy = true,
            AllowAutoRedirect = false,
        };
        if (validate is not null)
        {
            handler.ServerCertificateCustomValidationCallback = validate;
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>Waits (bounded) for a decision line matching <paramref name="predicate"/>.</summary>
    public async Task<JsonElement> WaitForDecisionAsync(Func<JsonElement, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            foreach (var line in ReadDecisions())
            {
                if (predicate(line))
                {
                    return line;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("No matching decision line. Lines so far:\n" + string.Join("\n", ReadDecisions().Select(l => l.GetRawText())));
            }

            await Task.Delay(25);
        }
    }

    public List<JsonElement> ReadDecisions()
    {
        FileStream stream;
        try
        {
            stream = new FileStream(DecisionLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            // Not written yet, or between a size rotation's rename and the new file: no lines now.
            return [];
        }

        using var owned = stream;
        using var reader = new StreamReader(owned);
        var lines = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line.EndsWith('}'))
            {
                lines.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        return lines;
    }

    /// <summary>Stops the host (drain, queues flushed) and keeps its files for the test to read.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
