using System.Diagnostics;
using System.Net;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Log files that fail, rotate and are reopened; signals handled by the real program.</summary>
public sealed class OperationsTests
{
    private static async Task DenyOnceAsync(int port, string host = "127.0.0.66")
    {
        using var raw = await RawClient.ConnectAsync(port);
        await raw.SendAsync($"CONNECT {host}:443 HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
    }

    [Fact]
    public async Task DecisionLogUnwritable_ProxyKeepsServingAndSaysSoOnce()
    {
        using var dns = new TestDnsServer();
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "unwritable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "decisions.jsonl")); // a folder where the file should be
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "127.0.0.66\n", "", $"--Log:DecisionFile={Path.Combine(dir, "decisions.jsonl")}");
        for (var i = 0; i < 5; i++)
        {
            await DenyOnceAsync(proxy.Port);
            await Task.Delay(50);
        }

        await Task.Delay(300);
        Assert.Single(proxy.Logs.Lines, l => l.Contains("Cannot write", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DecisionLog_RotatesBySize()
    {
        using var dns = new TestDnsServer();
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "127.0.0.66\n", "", "--Log:MaxFileBytes=1500", "--Log:KeepFiles=3");
        for (var i = 0; i < 12; i++)
        {
            await DenyOnceAsync(proxy.Port);
            await Task.Delay(30);
        }

        await Task.Delay(300);
        Assert.True(File.Exists(proxy.DecisionLogPath + ".1"));
        Assert.False(File.Exists(proxy.DecisionLogPath + ".4"));
        foreach (var file in new[] { proxy.DecisionLogPath, proxy.DecisionLogPath + ".1" })
        {
            Assert.All(File.ReadAllLines(file), line => System.Text.Json.JsonDocument.Parse(line).Dispose());
        }
    }

    [Fact]
    public async Task Program_SigHup_ReopensLogAndSigTermDrainsTunnels()
    {
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "signals-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var log = Path.Combine(dir, "decisions.jsonl");
        var port = ForwardingTests.FreeTcpPort();
        using var echo = new TcpTestServer(IPAddress.Loopback);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "EgressGuard.dll"), "--config", Path.Combine(dir, "none.json"),
            $"--Proxy:Listen=127.0.0.1:{port}", "--Admin:Listen=", $"--Data:Directory={dir}", $"--Log:DecisionFile={log}",
            "--Guard:Exempt:0=127.0.0.1/32", "--Proxy:DrainTimeout=00:00:03",
        })
        {
            start.ArgumentList.Add(arg);
        }

        File.WriteAllText(Path.Combine(dir, "none.json"), "{}");
        using var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                try
                {
                    await DenyOnceAsync(port, "127.0.0.66");
                    break;
                }
                catch (Exception) when (i < 99)
                {
                    await Task.Delay(100);
                }
            }

            for (var i = 0; i < 50 && (!File.Exists(log) || new FileInfo(log).Length == 0); i++)
            {
                await Task.Delay(50);
            }

            // logrotate moves the file, then sends SIGHUP: the next line goes to a new file.
            File.Move(log, log + ".old");
            Process.Start("kill", ["-HUP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await Task.Delay(500);
            await DenyOnceAsync(port, "127.0.0.66");
            for (var i = 0; i < 50 && !File.Exists(log); i++)
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(log), "no new decision log after SIGHUP");

            // A live tunnel keeps working after SIGTERM until the drain deadline, then the program exits.
            using var raw = await RawClient.ConnectAsync(port);
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await Task.Delay(300);
            await raw.SendAsync("still up");
            Assert.Equal("still up", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(8)));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Contains(File.ReadAllLines(log), l => l.Contains("\"http.request.method\":\"CONNECT\"", StringComparison.Ordinal) && l.Contains("127.0.0.1", StringComparison.Ordinal) && l.Contains("\"egressguard.decision\":\"allow\"", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
