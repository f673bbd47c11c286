using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>A raw TCP client for sending exact bytes to the proxy (CONNECT heads, malformed input).</summary>
public sealed class RawClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    public static async Task<RawClient> ConnectAsync(int port)
    {
        var client = new RawClient();
        await client._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TimeSpan.FromSeconds(5));
        return client;
    }

    public Socket Socket => _socket;

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));

    /// <summary>Reads until the response head ends (CRLFCRLF) and returns it with any bytes after it.</summary>
    public async Task<(string Head, byte[] After)> ReadHeadAsync(TimeSpan? timeout = null)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = Encoding.Latin1.GetString(buffer.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                return (text[..(end + 4)], buffer.Skip(end + 4).ToArray());
            }

            var read = await _socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
            if (read == 0)
            {
                return (text, []);
            }

            buffer.AddRange(chunk.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>Reads until the peer closes (bounded) and returns everything.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var buffer = new List<byte>();
        var chunk = new byte[65536];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await _socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token)) > 0)
            {
                buffer.AddRange(chunk.AsSpan(0, read).ToArray());
            }
        }
        catch (SocketException)
        {
        }

        return [.. buffer];
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (bounded).</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var offset = 0;
        while (offset < count)
        {
            var read = await _socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, cts.Token);
            if (read == 0)
            {
                throw new IOException($"closed after {offset} of {count} bytes");
            }

            offset += read;
        }

        return buffer;
    }

    public void Dispose() => _socket.Dispose();
}
