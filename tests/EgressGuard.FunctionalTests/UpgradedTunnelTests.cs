using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// A <c>ws://</c> WebSocket sent as an absolute-form <c>Upgrade</c> request (not CONNECT) is a
/// tunnel once upgraded: a new deny rule, a quarantine of its client and
/// <c>Proxy:MaxTunnelLifetime</c> close it like a CONNECT tunnel. Real WebSocket server (Kestrel),
/// real client (System.Net.WebSockets over the raw upgraded socket).
/// </summary>
public sealed class UpgradedTunnelTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private TestUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync(IPAddress.Parse("127.0.0.93"));
        _dns.A("chat.test", "127.0.0.93");
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _dns.Dispose();
    }

    /// <summary>Opens the WebSocket through the proxy and proves it carries messages.</summary>
    private async Task<(RawClient Raw, WebSocket Socket)> OpenAsync(TestProxy proxy)
    {
        var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync(
            $"GET http://chat.test:{_upstream.Port}/ws-echo HTTP/1.1\r\nHost: chat.test:{_upstream.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        var (head, after) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 101", head);
        Assert.Empty(after);
        var socket = WebSocket.CreateFromStream(new NetworkStream(raw.Socket, ownsSocket: false), new WebSocketCreationOptions { IsServer = false });
        Assert.Equal("ping", await EchoAsync(socket, "ping"));
        return (raw, socket);
    }

    private static async Task<string> EchoAsync(WebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    /// <summary>The proxy ends the stream: the next receive sees the connection closed, not a message.</summary>
    private static async Task AssertClosedAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[256];
        var ended = await Assert.ThrowsAsync<WebSocketException>(async () => await socket.ReceiveAsync(buffer, timeout.Token));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, ended.WebSocketErrorCode);
    }

    [Fact]
    public async Task WebSocket_NewDenyRule_UpgradedStreamClosed()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");
        var (raw, socket) = await OpenAsync(proxy);
        using (raw)
        using (socket)
        {
            using var admin = proxy.CreateAdminClient();
            var created = await admin.PostAsync("/rules", new StringContent("""{"id":"cut-chat","action":"deny","destinations":["127.0.0.93"]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            await AssertClosedAsync(socket);
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "chat.test" && l.Str("url.path") == "/ws-echo");
        Assert.Equal("policy-changed", line.Str("error.type"));
        Assert.Equal("rule:cut-chat", line.Str("egressguard.closed_by.rule"));
        Assert.Equal(101, line.GetProperty("http.response.status_code").GetInt32());
        Assert.True(line.GetProperty("egressguard.bytes_up").GetInt64() > 0);
        Assert.True(line.GetProperty("egressguard.bytes_down").GetInt64() > 0);
        await Eventually.UntilAsync(async () => (await proxy.StatusAsync()).GetProperty("openTunnels").GetInt32() == 0, "the closed stream unregistered");
    }

    [Fact]
    public async Task WebSocket_SourceQuarantined_UpgradedStreamClosed()
    {
        var data = Path.Combine(Path.GetTempPath(), "egressguard-tests", "data-" + Guid.NewGuid().ToString("N"));
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", $"--Data:Directory={data}");
        var (raw, socket) = await OpenAsync(proxy);
        using (raw)
        using (socket)
        {
            using var admin = proxy.CreateAdminClient();
            var added = await admin.PostAsJsonAsync("/quarantine", new { address = "127.0.0.1", duration = "30m", reason = "IR-7" });
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());

            await AssertClosedAsync(socket);
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "chat.test" && l.Str("url.path") == "/ws-echo");
        Assert.Equal("quarantined", line.Str("error.type"));
        Assert.Equal("quarantine", line.Str("egressguard.closed_by.rule"));
    }

    [Fact]
    public async Task WebSocket_MaxTunnelLifetime_UpgradedStreamClosed()
    {
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:MaxTunnelLifetime=00:00:02");
        var (raw, socket) = await OpenAsync(proxy);
        using (raw)
        using (socket)
        {
            await AssertClosedAsync(socket);
        }

        var line = await proxy.WaitForDecisionAsync(l => l.Str("server.address") == "chat.test" && l.Str("url.path") == "/ws-echo");
        Assert.Equal("max-lifetime", line.Str("error.type"));
    }
}
