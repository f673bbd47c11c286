using System.Diagnostics;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary><c>Proxy:InlineSocketCompletions</c> on the real program: the runtime takes the mode (one event thread per core), it says so at start, and tunnels work.</summary>
public sealed class InlineCompletionsTests
{
    [Fact]
    public async Task Program_InlineSocketCompletions_EventThreadPerCoreAndTunnelsWork()
    {
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "inline-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "none.json"), "{}");
        var port = ForwardingTests.FreeTcpPort();
        using var echo = new TcpTestServer(System.Net.IPAddress.Loopback);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "EgressGuard.dll"), "--config", Path.Combine(dir, "none.json"),
            $"--Proxy:Listen=127.0.0.1:{port}", "--Admin:Listen=", $"--Data:Directory={dir}", $"--Log:DecisionFile={Path.Combine(dir, "decisions.jsonl")}",
            "--Guard:Exempt:0=127.0.0.1/32", "--Proxy:InlineSocketCompletions=true",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var programLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                programLog.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.SucceedsAsync(async () =>
            {
                using var raw = await RawClient.ConnectAsync(port);
                await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
                Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
                await raw.SendAsync("inline");
                Assert.Equal("inline", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(6)));
            }, "a tunnel through the program", TimeSpan.FromSeconds(30));

            Assert.Contains(programLog, l => l.Contains("Socket completions run inline on the event threads", StringComparison.Ordinal));
            if (OperatingSystem.IsLinux())
            {
                // Inline, the runtime runs one event thread per core (otherwise one per 30 cores).
                var events = Directory.GetDirectories($"/proc/{process.Id}/task")
                    .Count(t => File.Exists(Path.Combine(t, "comm")) && File.ReadAllText(Path.Combine(t, "comm")).Trim() == ".NET Sockets");
                Assert.Equal(Environment.ProcessorCount, events);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
