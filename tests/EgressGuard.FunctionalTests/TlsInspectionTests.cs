using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>ClientHello inspection without decrypting: SNI and version logged, domain fronting caught, real TLS on loopback.</summary>
public sealed class TlsInspectionTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly X509Certificate2 _certificate = TestCertificates.Create("good.test");
    private readonly TcpTestServer _echo = new(IPAddress.Loopback);
    private TestUpstream _tls = null!;

    public async Task InitializeAsync()
    {
        _tls = await TestUpstream.StartAsync(IPAddress.Loopback, 0, _certificate);
        _dns.A("good.test", "127.0.0.1").A("other.test", "127.0.0.1").A("fronted-c2.test", "127.0.0.1").A("bad.test", "127.0.0.66");
    }

    public async Task DisposeAsync()
    {
        await _tls.DisposeAsync();
        _echo.Dispose();
        _dns.Dispose();
        _certificate.Dispose();
    }

    private Task<TestProxy> StartAsync(params string[] extra) =>
        TestProxy.StartAsync(_dns.Endpoint, "127.0.0.66\n", "fronted-c2.test\n",
            [$"--Tls:InspectPorts:0={_tls.Port}", $"--Tls:InspectPorts:1={_echo.Port}", "--Tls:HelloTimeout=00:00:00.500", .. extra]);

    /// <summary>CONNECT to <paramref name="connectHost"/>, then a TLS handshake naming <paramref name="sni"/>; returns whether it completed.</summary>
    private async Task<bool> HandshakeAsync(TestProxy proxy, string connectHost, string sni, bool split = false)
    {
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT {connectHost}:{_tls.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        Stream stream = new NetworkStream(raw.Socket, ownsSocket: false);
        if (split)
        {
            stream = new SplitFirstWrite(stream);
        }

        var thumbprint = _certificate.Thumbprint;
        await using var tls = new SslStream(stream, false, (_, cert, _, _) => cert?.GetCertHashString() == thumbprint);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = sni,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            }).WaitAsync(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return false;
        }
    }

    [Fact]
    public async Task AllowedTunnel_HttpClient_SniVersionAlpnLogged()
    {
        await using var proxy = await StartAsync();
        var thumbprint = _certificate.Thumbprint;
        using (var client = proxy.CreateClient((_, cert, _, _) => cert?.GetCertHashString() == thumbprint))
        {
            Assert.Equal("hello from 127.0.0.1", await client.GetStringAsync($"https://good.test:{_tls.Port}/hello"));
        }

        // The tunnel's line is written when it ends: the client's pooled connection closed above.

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "good.test");
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.Equal("good.test", line.Str("tls.client.server_name"));
        Assert.Contains(line.Str("tls.protocol.version"), new[] { "1.2", "1.3" });
    }

    [Fact]
    public async Task DomainFronting_SniOnDomainList_ClosedBeforeAnyByteGoesUpstream()
    {
        await using var proxy = await StartAsync();

        Assert.False(await HandshakeAsync(proxy, "good.test", "fronted-c2.test"));

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("tls.client.server_name") == "fronted-c2.test");
        Assert.Equal("deny", line.Str("egressguard.decision"));
        Assert.Equal("domain-list", line.Str("egressguard.reason"));
        Assert.Equal("sni-mismatch", line.Str("error.type"));
        Assert.Equal("good.test", line.Str("server.address"));
        Assert.Contains("TLS server name 'fronted-c2.test' (CONNECT host good.test)", line.Str("egressguard.detail"));
        Assert.Equal("0", line.Str("egressguard.bytes_up"));
    }

    [Fact]
    public async Task DifferentButAllowedSni_Tunnelled_BothNamesLogged()
    {
        await using var proxy = await StartAsync();

        Assert.True(await HandshakeAsync(proxy, "good.test", "other.test"));

        var line = await proxy.WaitForDecisionAsync(l => l.Str("tls.client.server_name") == "other.test");
        Assert.Equal("allow", line.Str("egressguard.decision"));
        Assert.Equal("good.test", line.Str("server.address"));
        Assert.Contains("http/1.1", line.Str("egressguard.tls.alpn"));
    }

    [Fact]
    public async Task DenyMismatch_AnyOtherSni_Closed()
    {
        await using var proxy = await StartAsync("--Tls:DenyMismatch=true");

        Assert.False(await HandshakeAsync(proxy, "good.test", "other.test"));
        Assert.True(await HandshakeAsync(proxy, "good.test", "GOOD.test"));

        var line = await proxy.WaitForDecisionAsync(l => l.Str("tls.client.server_name") == "other.test");
        Assert.Equal(("deny", "sni-mismatch", "tls:sni"), (line.Str("egressguard.decision"), line.Str("egressguard.reason"), line.Str("egressguard.rule")));
    }

    [Fact]
    public async Task ClientHelloSplitAcrossPackets_StillRead()
    {
        await using var proxy = await StartAsync("--Tls:DenyMismatch=true");

        Assert.False(await HandshakeAsync(proxy, "good.test", "other.test", split: true));
        Assert.True(await HandshakeAsync(proxy, "good.test", "good.test", split: true));

        var line = await proxy.WaitForDecisionAsync(l => l.Str("tls.client.server_name") == "other.test");
        Assert.Equal("sni-mismatch", line.Str("egressguard.reason"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(120)]
    public async Task ClientHelloSplitAcrossTlsRecords_DeniedSni_ClosedBeforeAnyByteGoesUpstream(int firstRecord)
    {
        await using var proxy = await StartAsync();
        var hello = ClientHelloBytes.Reframe(await ClientHelloBytes.CaptureAsync("fronted-c2.test"), firstRecord);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{_tls.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);

        await raw.SendAsync(hello);

        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("tls.client.server_name") == "fronted-c2.test");
        Assert.Equal(("deny", "domain-list", "sni-mismatch"), (line.Str("egressguard.decision"), line.Str("egressguard.reason"), line.Str("error.type")));
        Assert.Equal("0", line.Str("egressguard.bytes_up"));
    }

    [Fact]
    public async Task ClientHelloNotCompleteAtHelloTimeout_Enforce_ClosedAsSniUnreadable()
    {
        await using var proxy = await StartAsync();
        var hello = ClientHelloBytes.Reframe(await ClientHelloBytes.CaptureAsync("fronted-c2.test"), 60);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{_tls.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);

        // The first record only; the rest would follow after the proxy stopped looking.
        await raw.SendAsync(hello[..65]);

        Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("error.type") == "sni-unreadable");
        Assert.Equal(("deny", "sni-unreadable", "unreadable"), (line.Str("egressguard.decision"), line.Str("egressguard.reason"), line.Str("egressguard.tls.sni_check")));
        Assert.Contains("not complete after 65 bytes", line.Str("egressguard.detail"));
        Assert.Equal("0", line.Str("egressguard.bytes_up"));
    }

    [Fact]
    public async Task ClientHelloNotCompleteAtHelloTimeout_SniCheckLog_TunnelledAndLogged()
    {
        await using var proxy = await StartAsync("--Tls:SniCheck=log");
        var hello = ClientHelloBytes.Reframe(await ClientHelloBytes.CaptureAsync("good.test"), 60);
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{_tls.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        await raw.SendAsync(hello[..65]);
        await Task.Delay(TimeSpan.FromSeconds(1)); // past Tls:HelloTimeout (0.5 s): the proxy decided on the first record
        await raw.SendAsync(hello[65..]);

        // The upstream answers the reassembled hello (a ServerHello record): the tunnel passed.
        Assert.Equal(22, (await raw.ReadExactlyAsync(1))[0]);
        raw.Socket.Close();
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("egressguard.tls.sni_check") == "unreadable");
        Assert.Equal("allow", line.Str("egressguard.decision"));
    }

    [Theory]
    [InlineData(null, true, "missing-allowed")]
    [InlineData("deny", false, "missing-denied")]
    public async Task ClientHelloWithoutSni_DecidedByMissingSni_LoggedEitherWay(string? missingSni, bool opens, string logged)
    {
        // A client that completes its hello: no need to race the class's short hello timeout under load.
        await using var proxy = await StartAsync(missingSni is null ? ["--Tls:HelloTimeout=00:00:10"] : [$"--Tls:MissingSni={missingSni}", "--Tls:HelloTimeout=00:00:10"]);

        // .NET sends no SNI for an IP-address target name.
        Assert.Equal(opens, await HandshakeAsync(proxy, "good.test", "127.0.0.1"));

        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("egressguard.tls.sni_check") == logged);
        Assert.Equal(opens ? "allow" : "deny", line.Str("egressguard.decision"));
        if (!opens)
        {
            // An open tunnel's error.type says how the test client hung up (FIN or reset): not asserted.
            Assert.Equal("sni-missing", line.Str("error.type"));
        }
    }

    [Fact]
    public async Task NonTlsOnInspectedPort_PassesAsRawBytes_OrRefusedWhenRequired()
    {
        await using (var proxy = await StartAsync())
        {
            using var raw = await RawClient.ConnectAsync(proxy.Port);
            await raw.SendAsync($"CONNECT good.test:{_echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
            await raw.SendAsync("PING plain bytes\n");
            Assert.Equal("PING plain bytes\n", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(17)));
        }

        await using (var strict = await StartAsync("--Tls:RequireTls=true"))
        {
            using var raw = await RawClient.ConnectAsync(strict.Port);
            await raw.SendAsync($"CONNECT good.test:{_echo.Port} HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
            await raw.SendAsync("PING plain bytes\n");
            Assert.Empty(await raw.ReadToEndAsync(TimeSpan.FromSeconds(5)));
            var line = await strict.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.port") == _echo.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("not-tls", line.Str("error.type"));
        }
    }

    [Fact]
    public async Task SilentClient_ServerFirstProtocol_TunnelledAfterHelloTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var server = await listener.AcceptSocketAsync();
            await server.SendAsync(Encoding.ASCII.GetBytes("220 smtp.good.test ESMTP\r\n"));
            await Task.Delay(2000);
        });
        await using var proxy = await StartAsync($"--Tls:InspectPorts:2={port}");
        using var raw = await RawClient.ConnectAsync(proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);

        Assert.Equal("220 smtp.good.test ESMTP\r\n", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(26, TimeSpan.FromSeconds(10))));
        await serve;
    }

    /// <summary>Sends the first write in two pieces 200 ms apart: a ClientHello split across TCP segments.</summary>
    private sealed class SplitFirstWrite(Stream inner) : Stream
    {
        private bool _split;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_split || buffer.Length < 20)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            _split = true;
            await inner.WriteAsync(buffer[..11], cancellationToken);
            await inner.FlushAsync(cancellationToken);
            await Task.Delay(200, cancellationToken);
            await inner.WriteAsync(buffer[11..], cancellationToken);
        }
    }
}
