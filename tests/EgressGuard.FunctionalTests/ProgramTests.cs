using System.Diagnostics;
using System.Net.Sockets;

namespace EgressGuard.FunctionalTests;

/// <summary>The real program as an admin starts it: a separate process, configured by file, environment and command line.</summary>
public sealed class ProgramTests
{
    private static readonly string SampleConfig = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../config/egressguard.json"));

    private static Process Start(IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EgressGuard.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    [Fact]
    public async Task Program_SampleConfigWithEnvironmentOverride_PrintsListenAddressAndEntryCount()
    {
        var port = ForwardingTests.FreeTcpPort();
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "program-" + Guid.NewGuid().ToString("N"));
        using var process = Start(new Dictionary<string, string> { ["EGRESSGUARD__Proxy__Listen"] = $"127.0.0.1:{port}" }, "--config", SampleConfig, "--Admin:Listen=127.0.0.1:0", $"--Data:Directory={data}");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                string text;
                lock (stderr)
                {
                    text = stderr.ToString();
                }

                if (text.Contains("Loaded ", StringComparison.Ordinal) || DateTime.UtcNow > deadline || process.HasExited)
                {
                    Assert.Contains($"listening on http://127.0.0.1:{port}", text);
                    Assert.Contains("Loaded 580 bad-IP entries and 8 bad-domain entries", text);
                    break;
                }

                await Task.Delay(50);
            }

            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Program_InvalidOverride_Exit2WithEveryError()
    {
        using var process = Start(new Dictionary<string, string> { ["EGRESSGUARD__Dns__Servers__0"] = "not-a-server" }, "--config", SampleConfig, "--Proxy:Listen=nowhere");
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, process.ExitCode);
        var text = await stderr;
        Assert.Contains("2 configuration error(s)", text);
        Assert.Contains("Proxy:Listen = 'nowhere'", text);
        Assert.Contains("Dns:Servers:0 = 'not-a-server'", text);
    }

    [Theory]
    [InlineData("Proxy:Listen")]
    [InlineData("Admin:Listen")]
    public async Task Program_ListenPortBusy_OneLineNamingKeyAndExit2(string key)
    {
        using var busy = new TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var address = $"127.0.0.1:{((System.Net.IPEndPoint)busy.LocalEndpoint).Port}";
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "program-" + Guid.NewGuid().ToString("N"));
        string[] listen = key == "Proxy:Listen" ? [$"--Proxy:Listen={address}", "--Admin:Listen=127.0.0.1:0"] : ["--Proxy:Listen=127.0.0.1:0", $"--Admin:Listen={address}"];
        using var process = Start(new Dictionary<string, string>(), ["--config", SampleConfig, $"--Data:Directory={data}", .. listen]);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var text = await stderr + await stdout;
        Assert.Equal(2, process.ExitCode);
        Assert.Contains($"EgressGuard cannot start: {key} = {address}: cannot listen: address already in use", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Program_Version_PrintsVersion()
    {
        using var process = Start(new Dictionary<string, string>(), "--version");
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("EgressGuard ", stdout);
        Assert.Equal(0, process.ExitCode);
    }
}
