using System.Diagnostics;
using System.Net;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Log files that fail, rotate and are reopened; signals handled by the real program.</summary>
public sealed class OperationsTests
{
    private static async Task DenyOnceAsync(int port, string host = "127.0.0.66", int targetPort = 443)
    {
        using var raw = await RawClient.ConnectAsync(port);
        await raw.SendAsync($"CONNECT {host}:{targetPort} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403", (await raw.ReadHeadAsync()).Head);
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var probe = new System.Net.Sockets.TcpClient();
        try
        {
            await probe.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task DecisionLogUnwritable_ProxyKeepsServingAndSaysSoOnce()
    {
        using var dns = new TestDnsServer();
        var dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "unwritable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "decisions.jsonl")); // a folder where the file should be
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "127.0.0.66\n", "", $"--Log:DecisionFile={Path.Combine(dir, "decisions.jsonl")}");
        for (var i = 1; i <= 5; i++)
        {
            await DenyOnceAsync(proxy.Port);
            // Each line fails in its own write (not all five in one batch): "once" is then once for five failures.
            await Eventually.UntilAsync(async () => (await proxy.StatusAsync()).GetProperty("decisionLinesDropped").GetInt64() >= i, $"decision line {i} dropped");
        }

        Assert.Single(proxy.Logs.Lines, l => l.Contains("Cannot write", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DecisionLog_RotatesBySize()
    {
        using var dns = new TestDnsServer();
        await using var proxy = await TestProxy.StartAsync(dns.Endpoint, "127.0.0.66\n", "", "--Log:MaxFileBytes=1500", "--Log:KeepFiles=3");
        for (var i = 0; i < 12; i++)
        {
            // A port per deny names its line; each is written (in its own batch, so rotation can
            // happen between them) before the next: the newest line is always in the current file.
            var port = 1000 + i;
            await DenyOnceAsync(proxy.Port, targetPort: port);
            await proxy.WaitForDecisionAsync(l => l.Str("server.port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

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
            // The program is up once it answers (a cold start on a loaded machine takes a while).
            await Eventually.SucceedsAsync(() => DenyOnceAsync(port, "127.0.0.66"), "the program answers on its port", TimeSpan.FromSeconds(30));
            await Eventually.UntilAsync(() => File.Exists(log) && new FileInfo(log).Length > 0, "the first decision line written");

            // logrotate moves the file, then sends SIGHUP: the next line goes to a new file. The
            // configuration is re-read (and logged) only after the reopen is requested.
            File.Move(log, log + ".old");
            Process.Start("kill", ["-HUP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await Eventually.UntilAsync(
                () => programLog.Any(l => l.Contains("Configuration re-read", StringComparison.Ordinal) || l.Contains("NOT applied", StringComparison.Ordinal) || l.Contains("SIGHUP reload failed", StringComparison.Ordinal)),
                "the SIGHUP handled");
            await DenyOnceAsync(port, "127.0.0.66");
            await Eventually.UntilAsync(() => File.Exists(log), "a new decision log after SIGHUP");

            // A live tunnel keeps working after SIGTERM until the drain deadline, then the program exits.
            using var raw = await RawClient.ConnectAsync(port);
            await raw.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            // Draining begins by closing the listener: new connections are refused, the tunnel is not.
            await Eventually.UntilAsync(async () => !await AcceptsConnectionsAsync(port), "the listener closed after SIGTERM");
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
