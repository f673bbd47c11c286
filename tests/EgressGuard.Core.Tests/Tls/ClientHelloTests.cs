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
    public async Task TryParse_HelloLongerThanItsFirstRecord_IncompleteUntilTheNextRecord()
    {
        var bytes = await CaptureAsync("cut.example", "h2");
        // The record ends 40 bytes before the handshake message does: the rest is due in another record.
        var first = bytes[..^40];
        first[3] = (byte)((first.Length - 5) >> 8);
        first[4] = (byte)(first.Length - 5);

        Assert.Equal(ClientHelloStatus.Incomplete, ClientHello.TryParse(first, out var hello));
        Assert.Null(hello);
        byte[] second = [22, 3, 1, 0, 40, .. bytes[^40..]];
        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryParse([.. first, .. second], out hello));
        Assert.Equal("cut.example", hello!.ServerName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(37)]
    [InlineData(200)]
    public async Task TryParse_HelloInRecordsOfAnySize_ReassembledWithServerName(int recordSize)
    {
        var framed = Reframe(await CaptureAsync("records.example", "h2"), recordSize);

        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryParse(framed, out var hello));
        Assert.Equal("records.example", hello!.ServerName);
        Assert.Equal(["h2"], hello.Alpn);
        Assert.Equal(ClientHelloStatus.Incomplete, ClientHello.TryParse(framed.AsSpan(0, framed.Length - 1), out _));
    }

    [Fact]
    public async Task TryParse_OtherRecordTypeBeforeHelloEnds_Malformed()
    {
        var framed = Reframe(await CaptureAsync("records.example"), 50);
        framed[5 + 50] = 23; // the second record claims to be application data

        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.TryParse(framed, out _));
    }

    [Fact]
    public void TryParse_HelloLargerThan16KiB_Malformed()
    {
        // A handshake header announcing 16 KiB + 1 of body: more than the check reads, so never "read".
        byte[] bytes = [22, 3, 1, 0, 4, 1, 0, 0x40, 0x01];

        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.TryParse(bytes, out _));
    }

    [Fact]
    public async Task TryParse_TwoServerNameExtensions_Malformed()
    {
        var bytes = await CaptureAsync("first.example");
        var hello = bytes.AsSpan(5).ToArray();
        // Append a second server_name extension naming another host, and fix the three lengths.
        var name = Encoding.ASCII.GetBytes("second.example");
        byte[] extension = [0, 0, 0, (byte)(name.Length + 5), 0, (byte)(name.Length + 3), 0, 0, (byte)name.Length, .. name];
        var extensionsAt = ExtensionsOffset(hello);
        var extensionsLength = (hello[extensionsAt] << 8) | hello[extensionsAt + 1];
        byte[] changed = [.. hello, .. extension];
        Put16(changed, extensionsAt, extensionsLength + extension.Length);
        var bodyLength = changed.Length - 4;
        changed[1] = (byte)(bodyLength >> 16);
        changed[2] = (byte)(bodyLength >> 8);
        changed[3] = (byte)bodyLength;
        byte[] record = [22, 3, 1, (byte)(changed.Length >> 8), (byte)changed.Length, .. changed];

        Assert.Equal(ClientHelloStatus.Malformed, ClientHello.TryParse(record, out _));
    }

    private static int ExtensionsOffset(byte[] message)
    {
        var at = 4 + 2 + 32;
        at += 1 + message[at];
        at += 2 + ((message[at] << 8) | message[at + 1]);
        at += 1 + message[at];
        return at;
    }

    private static void Put16(byte[] bytes, int at, int value)
    {
        bytes[at] = (byte)(value >> 8);
        bytes[at + 1] = (byte)value;
    }

    /// <summary>The handshake message of a one-record hello, cut into records of <paramref name="size"/> bytes.</summary>
    internal static byte[] Reframe(byte[] oneRecord, int size)
    {
        var message = oneRecord[5..];
        var output = new List<byte>();
        for (var at = 0; at < message.Length; at += size)
        {
            var take = Math.Min(size, message.Length - at);
            output.AddRange([22, 3, 1, (byte)(take >> 8), (byte)take]);
            output.AddRange(message.AsSpan(at, take).ToArray());
        }

        return [.. output];
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
