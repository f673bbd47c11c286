using System.Net;
using System.Net.Sockets;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Upstreams that stall or reset: the client sees it, the log records it, the proxy stays up.</summary>
public sealed class FaultTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private TestProxy _proxy = null!;
    private Func<Socket, Task> _behaviour = _ => Task.CompletedTask;

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task InitializeAsync()
    {
        _dns.A("up.test", "127.0.0.1");
        _listener.Start();
        _ = AcceptLoopAsync();
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:UpstreamTimeout=00:00:01");
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _listener.Stop();
        _dns.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        await _behaviour(socket);
                    }
                    catch (SocketException)
                    {
                    }
                }
            });
        }
    }

    private static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    [Fact]
    public async Task Forward_UpstreamNeverAnswers_504AfterUpstreamTimeout()
    {
        _behaviour = async socket => await Task.Delay(TimeSpan.FromSeconds(10));
        using var client = _proxy.CreateClient();
        var response = await client.GetAsync($"http://up.test:{Port}/slow");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/slow");
        Assert.Equal("upstream-timeout", line.Str("error.type"));
    }

    [Fact]
    public async Task Forward_UpstreamResetsMidBody_ClientSeesItLogRecordsIt()
    {
        _behaviour = async socket =>
        {
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer);
            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + new string('x', 20000)));
            await Task.Delay(100);
            Reset(socket);
        };
        using var client = _proxy.CreateClient();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var response = await client.GetAsync($"http://up.test:{Port}/reset", HttpCompletionOption.ResponseHeadersRead);
            await response.Content.ReadAsByteArrayAsync();
        });
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/reset");
        Assert.NotNull(line.Str("error.type"));
        Assert.Equal("127.0.0.1", line.Str("network.peer.address"));
    }

    [Fact]
    public async Task Tunnel_UpstreamResets_ClientClosedLogged()
    {
        _behaviour = async socket =>
        {
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer);
            Reset(socket);
        };
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT up.test:{Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        await raw.SendAsync("hello");
        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "up.test");
        Assert.Equal("upstream-reset", line.Str("error.type"));
        Assert.Equal(5, int.Parse(line.Str("egressguard.bytes_up")!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
