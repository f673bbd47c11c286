namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>Runs the real curl binary (bounded), with no proxy settings inherited from the environment.</summary>
public static class Curl
{
    public static Task<(int Exit, string Out, string Err)> RunAsync(IEnumerable<string> args) =>
        ClientPrograms.RunAsync("curl", ["-sS", "--max-time", "20", .. args], timeout: TimeSpan.FromSeconds(30));
}
