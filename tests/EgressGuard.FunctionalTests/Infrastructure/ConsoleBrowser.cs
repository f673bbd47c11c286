namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>What the console's browser tests need: node, Chromium, and tests/console's playwright-core.</summary>
public static class ConsoleBrowser
{
    public const string Chromium = "/usr/bin/chromium";

    public static string Directory => Path.Combine(ClientPrograms.RepoRoot, "tests", "console");

    /// <summary>What is missing, or null when the browser tests can run.</summary>
    public static string? Missing()
    {
        var missing = new List<string>();
        if (!ClientPrograms.IsAvailable("node"))
        {
            missing.Add("node (apt-get install nodejs npm)");
        }

        if (!File.Exists(Chromium))
        {
            missing.Add($"{Chromium} (apt-get install chromium)");
        }

        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "playwright-core")))
        {
            missing.Add("playwright-core (npm ci --prefix tests/console)");
        }

        return missing.Count == 0 ? null : string.Join(", ", missing);
    }
}

/// <summary>
/// A fact that drives the console in Chromium: SKIPPED with what to install when node, Chromium or
/// playwright-core is missing; with <c>EGRESSGUARD_REQUIRE_CLIENTS=1</c> it runs regardless, so a
/// missing one fails CI.
/// </summary>
public sealed class ConsoleBrowserFactAttribute : FactAttribute
{
    public ConsoleBrowserFactAttribute()
    {
        if (ConsoleBrowser.Missing() is { } missing && Environment.GetEnvironmentVariable("EGRESSGUARD_REQUIRE_CLIENTS") != "1")
        {
            Skip = $"SKIPPED: not installed here: {missing} (.ci/run installs them)";
        }
    }
}
