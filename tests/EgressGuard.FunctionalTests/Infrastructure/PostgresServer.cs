using System.Net;
using System.Net.Sockets;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A private PostgreSQL cluster for one test: <c>initdb</c> in a temporary folder, <c>pg_ctl start</c>
/// on a free loopback port (TCP on 127.0.0.1 only, its Unix socket in the same folder), run as the
/// <c>postgres</c> user when the tests run as root (created if missing). Stopped and deleted at dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgres;
    private bool _running;

    private PostgresServer(string directory, string bin, bool asPostgres, int port)
    {
        _directory = directory;
        _bin = bin;
        _asPostgres = asPostgres;
        Port = port;
    }

    public int Port { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Timeout=2;Command Timeout=3";

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>The folder holding pg_ctl and initdb (Debian's versioned folder first), or null.</summary>
    public static string? FindBinaries()
    {
        var versioned = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin"))
            : [];
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator);
        return versioned.Concat(path).FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "initdb")));
    }

    /// <summary>
    /// A private cluster when PostgreSQL is installed, or when the run requires every real server
    /// (<c>EGRESSGUARD_REQUIRE_CLIENTS=1</c>, where a missing one must fail rather than skip); else null.
    /// </summary>
    public static async Task<PostgresServer?> StartIfAvailableAsync() =>
        FindBinaries() is not null || Environment.GetEnvironmentVariable("EGRESSGUARD_REQUIRE_CLIENTS") == "1"
            ? await StartAsync()
            : null;

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("pg_ctl/initdb not found (apt-get install postgresql)");
        var asPostgres = Environment.UserName == "root";
        if (asPostgres && (await ClientPrograms.RunAsync("id", ["-u", "postgres"], timeout: TimeSpan.FromSeconds(10))).Exit != 0)
        {
            await Must("useradd", ["-r", "-M", "postgres"]);
        }

        var directory = Path.Combine(Path.GetTempPath(), "egressguard-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        if (asPostgres)
        {
            await Must("chown", ["postgres", directory]);
        }

        var server = new PostgresServer(directory, bin, asPostgres, FreePort());
        await server.RunAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], TimeSpan.FromSeconds(90));
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the (stopped) cluster again on the same port.</summary>
    public async Task StartAgainAsync()
    {
        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories={_directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB";
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-o", options, "-l", Path.Combine(_directory, "postgres.log"), "-w", "-t", "60", "start"], TimeSpan.FromSeconds(90));
        _running = true;
    }

    /// <summary>Stops the cluster at once (<c>-m immediate</c>: like a crash, connections are cut).</summary>
    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }

        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], TimeSpan.FromSeconds(90));
        _running = false;
    }

    private async Task RunAsync(string program, string[] args, TimeSpan timeout)
    {
        var path = Path.Combine(_bin, program);
        var (exit, stdout, stderr) = _asPostgres
            ? await ClientPrograms.RunAsync("runuser", ["-u", "postgres", "--", path, .. args], timeout: timeout)
            : await ClientPrograms.RunAsync(path, args, timeout: timeout);
        if (exit != 0)
        {
            var log = Path.Combine(_directory, "postgres.log");
            throw new InvalidOperationException($"{program} failed ({exit}): {stdout}\n{stderr}\n{(File.Exists(log) ? File.ReadAllText(log) : string.Empty)}");
        }
    }

    private static async Task Must(string program, string[] args)
    {
        var (exit, stdout, stderr) = await ClientPrograms.RunAsync(program, args, timeout: TimeSpan.FromSeconds(30));
        if (exit != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({exit}): {stdout}\n{stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}

/// <summary>
/// A fact that needs PostgreSQL's server programs: skipped (with what to install) when they are
/// missing, unless <c>EGRESSGUARD_REQUIRE_CLIENTS=1</c> (.ci/run installs them), then it fails.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.FindBinaries() is null && Environment.GetEnvironmentVariable("EGRESSGUARD_REQUIRE_CLIENTS") != "1")
        {
            Skip = "SKIPPED: PostgreSQL's pg_ctl/initdb are not installed here (apt-get install postgresql; .ci/run installs it)";
        }
    }
}
