using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using EgressGuard.Tls;

namespace EgressGuard.Tests.Tls;

public sealed class ClientHelloTests
{
    /// <summary>The first bytes a real .NET TLS client sends, captured from a loopback socket.</summary>
    internal static async Task<byte[]> CaptureAsync(string serverName, params string[] alpn)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        // No server ever answers: the handshake is cut after the ClientHello, so default validation is fine.
        using var tls = new SslStream(client.GetStream(), false);
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
        });
        var buffer = new byte[16384];
        var total = 0;
        var stream = server.GetStream();
        while (ClientHello.TryParse(buffer.AsSpan(0, total), out _) == ClientHelloStatus.Incomplete)
        {
            total += await stream.ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake.WaitAsync(TimeSpan.FromSeconds(10)));
        return buffer[..total];
    }

    [Fact]
    public async Task TryParse_RealClientHello_SniAlpnVersion()
    {
        var bytes = await CaptureAsync("api.example.com", "h2", "http/1.1");

        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryParse(bytes, out var hello));
        Assert.Equal("api.example.com", hello!.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.Alpn);
        Assert.Contains(hello.Version, new[] { "1.2", "1.3" });
    }

    [Fact]
    public async Task TryParse_SplitAnywhere_IncompleteUntilWhole()
    {
        var bytes = await CaptureAsync("split.example");
        for (var cut = 0; cut < bytes.Length; cut += 7)
        {
            Assert.Equal(ClientHelloStatus.Incomplete, ClientHello.TryParse(bytes.AsSpan(0, cut), out _));
        }

        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryParse(bytes, out var hello));
        Assert.Equal("split.example", hello!.ServerName);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    [InlineData("\u0016\u0001\u0000\u0000\u0005hello")]
    public void TryParse_OtherProtocols_NotTls(string text)
    {
        Assert.Equal(ClientHelloStatus.NotTls, ClientHello.TryParse(Encoding.Latin1.GetBytes(text), out _));
    }

    [Fact]
    public void TryParse_RecordLongerThanTlsAllows_Malformed()
    {
        var bytes = new byte[5 + 16385];
        bytes[0] = 22;
        bytes[1] = 3;
        bytes[2] = 1;
        bytes[3] = 0x40;
        bytes[4] = 0x01;

        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.TryParse(bytes, out _));
    }

    [Fact]
    public async Task TryParse_ExtensionsCutOff_KeepsWhatWasRead()
    {
        var bytes = await CaptureAsync("cut.example", "h2");
        // Claim a longer handshake than the record holds, then drop the record's last bytes.
        var cut = bytes[..^8];
        cut[3] = (byte)((cut.Length - 5) >> 8);
        cut[4] = (byte)(cut.Length - 5);

        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryParse(cut, out var hello));
        Assert.Equal("cut.example", hello!.ServerName);
    }

    [Fact]
    public async Task TryParse_MutatedHellos_NeverThrow()
    {
        var original = await CaptureAsync("fuzz.example", "h2");
        var random = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (var m = 0; m < 1 + random.Next(4); m++)
            {
                bytes[5 + random.Next(bytes.Length - 5)] = (byte)random.Next(256);
            }

            var status = ClientHello.TryParse(bytes, out var hello);
            Assert.True(status != ClientHelloStatus.Parsed || hello is not null);
        }
    }
}
