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
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "", "--Proxy:UpstreamTimeout=00:00:01", "--Proxy:ConnectTimeout=00:00:00.500");
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
    /// <summary>
    /// A loopback listener that never accepts, with its one-slot accept queue filled: Linux then drops
    /// further SYNs, so a connect to it hangs exactly like one to a black-holed address.
    /// </summary>
    /// <summary>
    /// A loopback port whose connects hang: a listener that never accepts, its accept queue filled.
    /// Fillers are added until one's connect does not complete (its SYN is being retried): only then
    /// is the queue known to be full. A single filler raced its own final ACK under load, letting the
    /// proxy's connect through to a server that never answers (upstream-timeout instead of connect-timeout).
    /// </summary>
    private static (Socket Listener, Fillers Filler) BlackHole()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var fillers = new Fillers();
        for (var i = 0; i < 8; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(filler);
            if (!filler.ConnectAsync(listener.LocalEndPoint!).Wait(TimeSpan.FromMilliseconds(300)))
            {
                break; // this one hangs: the queue is full
            }
        }

        return (listener, fillers);
    }

    private sealed class Fillers : List<Socket>, IDisposable
    {
        public void Dispose()
        {
            foreach (var socket in this)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Connect_UpstreamConnectHangs_504ConnectTimeoutAfterConnectTimeout()
    {
        var (listener, filler) = BlackHole();
        using var _ = listener;
        using var __ = filler;
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await raw.SendAsync($"CONNECT up.test:{port} HTTP/1.1\r\n\r\n");
        var head = (await raw.ReadHeadAsync()).Head;

        Assert.StartsWith("HTTP/1.1 504", head);
        Assert.Contains("X-EgressGuard-Error: connect-timeout", head);
        // Proxy:ConnectTimeout is 0.5 s here: the answer waits for it, not for the kernel's SYN retries (about 1 s, then 3 s...).
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(0.4), $"answered after {started.Elapsed}");
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("connect-timeout", line.Str("error.type"));
    }

    [Fact]
    public async Task Forward_UpstreamConnectHangs_504ConnectTimeout()
    {
        var (listener, filler) = BlackHole();
        using var _ = listener;
        using var __ = filler;
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        using var client = _proxy.CreateClient();
        var response = await client.GetAsync($"http://up.test:{port}/blackhole");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("connect-timeout", response.Headers.GetValues("X-EgressGuard-Error").Single());
        var line = await _proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/blackhole");
        Assert.Equal("connect-timeout", line.Str("error.type"));
    }
}
