using System.Diagnostics;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>Runs real client programs (bounded, without proxy settings inherited from the environment).</summary>
public static class ClientPrograms
{
    private static readonly string[] ProxyVariables =
        ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

    /// <summary>The repository's root (where EgressGuard.sln is), for the client scripts under tests/clients.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string NodeClientDirectory => Path.Combine(RepoRoot, "tests", "clients", "node");

    /// <summary>Whether <paramref name="program"/> is on PATH (or, for "undici", installed for the Node client).</summary>
    public static bool IsAvailable(string program) => program == "undici"
        ? IsAvailable("node") && Directory.Exists(Path.Combine(NodeClientDirectory, "node_modules", "undici"))
        : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, program)));

    public static async Task<(int Exit, string Out, string Err)> RunAsync(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in ProxyVariables)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EgressGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EgressGuard.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// A fact that needs a real program. Without it the test is reported as SKIPPED with what to install
/// (never a silent pass); with <c>EGRESSGUARD_REQUIRE_CLIENTS=1</c> (set by .ci/run, which installs
/// them all) it runs regardless, so a missing program fails CI.
/// </summary>
public sealed class ClientFactAttribute : FactAttribute
{
    public ClientFactAttribute(string program, string install)
    {
        if (!ClientPrograms.IsAvailable(program) && Environment.GetEnvironmentVariable("EGRESSGUARD_REQUIRE_CLIENTS") != "1")
        {
            Skip = $"SKIPPED: '{program}' is not installed here ({install}; .ci/run installs it)";
        }
    }
}
