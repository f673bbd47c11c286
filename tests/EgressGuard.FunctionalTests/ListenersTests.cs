using System.Net;
using System.Net.Sockets;
using System.Text;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Hosting;
using EgressGuard.Proxy;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>Issue 18 item 7: <c>Proxy:Listen</c> as an array, IPv4 and IPv6, each entry a full proxy listener.</summary>
public sealed class ListenersTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _dns.A("good.test", "127.0.0.1");
        _upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _dns.Dispose();
    }

    [Fact]
    public async Task Listen_TwoEntriesIpv4AndIpv6_HttpAndConnectThroughEach()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, string.Empty, string.Empty, "--Proxy:Listen:0=127.0.0.1:0", "--Proxy:Listen:1:Address=[::1]:0");
        var listeners = proxy.Services.GetRequiredService<ProxyListeners>();
        var bound = new[] { listeners.BoundEndpoint(0), listeners.BoundEndpoint(1) };
        Assert.Equal(IPAddress.Loopback, bound[0].Address);
        Assert.Equal(IPAddress.IPv6Loopback, bound[1].Address);
        Assert.NotEqual(0, bound[1].Port);

        foreach (var endpoint in bound)
        {
            // Absolute-form HTTP through this listener.
            using var handler = new HttpClientHandler { Proxy = new WebProxy($"http://{endpoint}"), UseProxy = true };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"http://good.test:{_upstream.Port}/hello"));

            // A CONNECT through this listener, then HTTP inside the tunnel.
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(5));
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT good.test:{_upstream.Port} HTTP/1.1\r\nHost: good.test:{_upstream.Port}\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 200", await ReadHeadAsync(stream));
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: good.test\r\nConnection: close\r\n\r\n"));
            using var reader = new StreamReader(stream);
            var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 200", response);
            Assert.Contains("hello from 127.0.0.1", response);
        }

        // Both CONNECTs logged, one per listener's client address family.
        await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("client.address") == "::1");
        await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("client.address") == "127.0.0.1");

        // Loop detection knows every listener: a CONNECT through the first to the second is refused.
        using var raw = await RawClient.ConnectAsync(bound[0].Port);
        await raw.SendAsync($"CONNECT [::1]:{bound[1].Port} HTTP/1.1\r\n\r\n");
        var (loop, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 403", loop);
        Assert.Contains("X-EgressGuard-Reason: self-loop", loop);
    }

    [Fact]
    public void Listen_BadSecondEntry_ErrorNamesItsKey()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", ConfigurationTests.WriteEmptyConfig(),
            "--Proxy:Listen:0=127.0.0.1:0", "--Proxy:Listen:1:Address=nowhere", "--Admin:Listen="]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:Listen:1 = 'nowhere': expected ip:port", StringComparison.Ordinal));
        Assert.DoesNotContain(ex.Errors, e => e.StartsWith("Proxy:Listen:0", StringComparison.Ordinal));
    }

    [Fact]
    public void Listen_EntryTlsWithoutCertificate_ErrorNamesEntryTlsKey()
    {
        var ex = Assert.Throws<ConfigurationErrorsException>(() => EgressGuardHost.Build(["--config", ConfigurationTests.WriteEmptyConfig(),
            "--Proxy:Listen:0=127.0.0.1:0", "--Proxy:Listen:1:Address=127.0.0.1:0", "--Proxy:Listen:1:Tls:ClientCertificates=required", "--Admin:Listen="]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Proxy:Listen:1:Tls:ClientCertificates needs Proxy:Listen:1:Tls:Certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Program_SecondListenPortBusy_OneLineNamingEntryAndExit2()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var address = $"127.0.0.1:{((IPEndPoint)busy.LocalEndpoint).Port}";
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "listen-" + Guid.NewGuid().ToString("N"));
        var (exit, text) = await ProgramRun.UntilExitAsync(
            "--config", ConfigurationTests.WriteEmptyConfig(), $"--Data:Directory={data}", "--Proxy:Listen:0=127.0.0.1:0", $"--Proxy:Listen:1={address}", "--Admin:Listen=");

        Assert.Equal(2, exit);
        Assert.Contains($"EgressGuard cannot start: Proxy:Listen:1 = {address}: cannot listen: address already in use", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        // Byte by byte, so that nothing after the head is consumed.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
