using System.Diagnostics;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>The real program as an operator starts it (<c>dotnet EgressGuard.dll …</c>), for starts that must stop by themselves.</summary>
public static class ProgramRun
{
    /// <summary>Runs the program with <paramref name="args"/> until it exits (60 s at most); its exit code and stderr + stdout.</summary>
    public static async Task<(int ExitCode, string Output)> UntilExitAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EgressGuard.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stderr + await stdout);
    }
}
