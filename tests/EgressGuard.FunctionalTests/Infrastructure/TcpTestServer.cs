using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A raw TCP server on loopback: echoes what it receives, or (after the client's FIN) answers
/// with how many bytes it got. For tunnels to arbitrary ports and half-close.
/// </summary>
public sealed class TcpTestServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public TcpTestServer(IPAddress address, bool countUntilEof = false)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync(countUntilEof);
    }

    public int Port { get; }

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoopAsync(bool countUntilEof)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = ServeAsync(socket, countUntilEof);
        }
    }

    private static async Task ServeAsync(Socket socket, bool countUntilEof)
    {
        using (socket)
        {
            var buffer = new byte[65536];
            long total = 0;
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer)) > 0)
                {
                    total += read;
                    if (!countUntilEof)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, read));
                    }
                }

                if (countUntilEof)
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"received {total} bytes"));
                }

                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
