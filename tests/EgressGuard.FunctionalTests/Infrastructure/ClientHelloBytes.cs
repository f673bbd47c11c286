using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>Real ClientHello bytes from .NET's TLS client, and the same hello re-framed into other TLS records.</summary>
public static class ClientHelloBytes
{
    /// <summary>The first flight a real TLS client sends for <paramref name="serverName"/> (one record), captured on loopback.</summary>
    public static async Task<byte[]> CaptureAsync(string serverName)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        using var tls = new SslStream(client.GetStream(), false);
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName });
        var buffer = new byte[32768];
        var total = 0;
        var stream = server.GetStream();
        while (total < 5 || total < 5 + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(3)))
        {
            total += await stream.ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake.WaitAsync(TimeSpan.FromSeconds(10)));
        return buffer[..total];
    }

    /// <summary>The handshake message of a one-record hello, split into TLS records of the given payload sizes (the last takes the rest).</summary>
    public static byte[] Reframe(byte[] oneRecord, params int[] sizes)
    {
        var message = oneRecord.AsSpan(5, BinaryPrimitives.ReadUInt16BigEndian(oneRecord.AsSpan(3)));
        var output = new List<byte>();
        var at = 0;
        foreach (var size in sizes.Append(message.Length))
        {
            var take = Math.Min(size, message.Length - at);
            if (take <= 0)
            {
                break;
            }

            output.AddRange([22, oneRecord[1], oneRecord[2], (byte)(take >> 8), (byte)take]);
            output.AddRange(message.Slice(at, take).ToArray());
            at += take;
        }

        return [.. output];
    }
}
