using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel web server on a loopback address standing in for an internet host. Reports its
/// own local address (to prove which address the proxy dialled), echoes headers and bodies, and
/// counts accepted TCP connections (to prove a denied request opened none).
/// </summary>
public sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;

    private TestUpstream(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public IPAddress Address { get; private set; } = IPAddress.Loopback;

    public int Connections => Volatile.Read(ref _connections);

    public static async Task<TestUpstream> StartAsync(IPAddress address, int port = 0, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        TestUpstream? self = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(address, port, listen =>
            {
                listen.Use(next => ctx =>
                {
                    Interlocked.Increment(ref self!._connections);
                    return next(ctx);
                });
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        self = new TestUpstream(app);
        Map(app);
        await app.StartAsync();
        var uri = new Uri(app.Urls.First());
        self.Port = uri.Port;
        self.Address = address;
        return self;
    }

    private static void Map(WebApplication app)
    {
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext c) =>
        {
            if (!c.WebSockets.IsWebSocketRequest)
            {
                c.Response.StatusCode = 400;
                return;
            }

            using var socket = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            await socket.SendAsync(buffer.AsMemory(0, received.Count), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        });
        app.Map("/ws-echo", async (HttpContext c) =>
        {
            // A long-lived WebSocket: echoes every message until the client (or the proxy) ends it.
            using var socket = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, c.RequestAborted);
                    if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                    {
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, c.RequestAborted);
                }
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
            {
                // The proxy closed the connection: what the tests want.
            }
        });
        app.MapGet("/hello", (HttpContext c) => $"hello from {c.Connection.LocalIpAddress}");
        app.MapGet("/proxy-auth", (HttpContext c) =>
        {
            // An origin that asks for proxy credentials: the proxy must not relay the challenge.
            c.Response.Headers["Proxy-Authenticate"] = "Basic realm=\"phish\"";
            c.Response.Headers["Proxy-Authentication-Info"] = "x";
            c.Response.Headers["X-Kept"] = "1";
            return "origin";
        });
        app.MapGet("/peer-port", (HttpContext c) => c.Connection.RemotePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        app.MapGet("/whoami", (HttpContext c) => $"local={c.Connection.LocalIpAddress}");
        app.MapGet("/headers", (HttpContext c) =>
            string.Join("\n", c.Request.Headers.OrderBy(h => h.Key).Select(h => $"{h.Key}: {h.Value}")));
        app.MapPost("/echo-hash", async (HttpContext c) =>
        {
            using var sha = SHA256.Create();
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await c.Request.Body.ReadAsync(buffer)) > 0)
            {
                sha.TransformBlock(buffer, 0, read, null, 0);
                total += read;
            }

            sha.TransformFinalBlock([], 0, 0);
            return $"{total} {Convert.ToHexString(sha.Hash!)}";
        });
        app.MapGet("/chunked", async (HttpContext c) =>
        {
            for (var i = 0; i < 5; i++)
            {
                await c.Response.WriteAsync($"chunk {i}\n");
                await c.Response.Body.FlushAsync();
            }
        });
        app.MapGet("/big", async (HttpContext c) =>
        {
            var mb = int.Parse(c.Request.Query["mb"].ToString() is { Length: > 0 } s ? s : "1", System.Globalization.CultureInfo.InvariantCulture);
            var block = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
            c.Response.ContentLength = (long)mb * block.Length;
            for (var i = 0; i < mb; i++)
            {
                await c.Response.Body.WriteAsync(block);
            }
        });
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
