using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A tiny real parent proxy on 127.0.0.1: accepts CONNECT, records the request line and
/// <c>Proxy-Authorization</c>, dials the named address and relays both ways (with half-close);
/// or, when <see cref="RefuseWith"/> is set, answers that status and closes.
/// </summary>
public sealed class TestParentProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public TestParentProxy()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>A status to answer every CONNECT with (e.g. 403) instead of relaying.</summary>
    public int? RefuseWith { get; set; }

    /// <summary>
    /// Wait for the destination's first bytes and send them in the same write as the 200, so they
    /// arrive with the reply head (a server-first protocol through a real parent can do this).
    /// </summary>
    public bool CoalesceFirstBytes { get; set; }

    /// <summary>Every request line seen, e.g. <c>CONNECT 127.0.0.1:5000 HTTP/1.1</c>.</summary>
    public ConcurrentQueue<string> RequestLines { get; } = new();

    /// <summary>Every <c>Proxy-Authorization</c> value seen (null when absent).</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                var (head, after) = await ReadHeadAsync(client);
                var lines = head.Split("\r\n");
                RequestLines.Enqueue(lines[0]);
                Authorizations.Enqueue(lines.Skip(1).FirstOrDefault(l => l.StartsWith("Proxy-Authorization:", StringComparison.OrdinalIgnoreCase))?[20..].Trim());
                if (RefuseWith is { } status)
                {
                    await client.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Refused By Parent\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                    return;
                }

                var target = IPEndPoint.Parse(lines[0].Split(' ')[1]);
                using var upstream = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(target);
                byte[] established = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();
                if (CoalesceFirstBytes)
                {
                    var first = new byte[4096];
                    var read = await upstream.ReceiveAsync(first);
                    established = [.. established, .. first.AsSpan(0, read)];
                }

                await client.SendAsync(established);
                if (after.Length > 0)
                {
                    await upstream.SendAsync(after);
                }

                await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or FormatException)
            {
            }
        }
    }

    private static async Task<(string Head, byte[] After)> ReadHeadAsync(Socket socket)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(chunk);
            if (read == 0)
            {
                throw new IOException("closed before the end of the head");
            }

            buffer.AddRange(chunk.AsSpan(0, read));
            var text = Encoding.Latin1.GetString([.. buffer]);
            if (text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
            {
                return (text[..end], [.. buffer.Skip(end + 4)]);
            }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read));
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
