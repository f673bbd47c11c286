using System.Diagnostics;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>Runs the real curl binary (bounded), with no proxy settings inherited from the environment.</summary>
public static class Curl
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-sS", "--max-time", "20" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout, await stderr);
    }
}
