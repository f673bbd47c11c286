using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// Issue 16 item 8: validating a certificate never makes EgressGuard fetch anything. A chain
/// builder that follows a certificate's AIA URL to find a missing issuer makes an outbound HTTP
/// request chosen by whoever made the certificate (a client, an upstream server), past every policy.
/// </summary>
public sealed class CertificateDownloadTests : IDisposable
{
    private readonly TestDnsServer _dns = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-tests", "aia-" + Guid.NewGuid().ToString("N"));

    public CertificateDownloadTests() => _dns.A("aia.test", "127.0.0.1").A("good.test", "127.0.0.1");

    public void Dispose()
    {
        _dns.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task ClientCertificateWithAiaAndNoIntermediate_NoDownload_Refused()
    {
        using var aia = new AiaChain(_dir, clientAuth: true);
        var server = TestCertificates.WriteMtlsSet(Path.Combine(_dir, "server"), "unused");
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "",
            $"--Proxy:Tls:Certificate={server.ServerCert}", $"--Proxy:Tls:Key={server.ServerKey}",
            "--Proxy:Tls:ClientCertificates=required", $"--Proxy:Tls:ClientCa={aia.RootPem}");

        using var proxyCa = X509CertificateLoader.LoadCertificateFromFile(server.Ca);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, proxy.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(proxyCa);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is not null && chain.Build(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
        });
        var refused = false;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificateContext = SslStreamCertificateContext.Create(aia.Leaf, null, offline: true),
            }).WaitAsync(TimeSpan.FromSeconds(20));
            await tls.WriteAsync(Encoding.ASCII.GetBytes("GET http://good.test/ HTTP/1.1\r\nHost: good.test\r\n\r\n"));
            // TLS 1.3 reports a refused client certificate on the first read.
            refused = await tls.ReadAsync(new byte[1024]).AsTask().WaitAsync(TimeSpan.FromSeconds(20)) == 0;
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            refused = true;
        }

        Assert.Equal(0, aia.Fetches);
        Assert.False(aia.IntermediateCached(), "a client-supplied issuer was stored in the user's CA store");
        Assert.True(refused, "a client certificate whose issuer is only behind its AIA URL must not be accepted");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InterceptedUpstreamWithAiaAndNoIntermediate_NoDownload_502(bool upstreamCaFile)
    {
        using var aia = new AiaChain(_dir, clientAuth: false, dnsName: "aia.test");
        using var upstream = new LeafOnlyTlsServer(aia.Leaf);
        Directory.CreateDirectory(_dir);
        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir, "--name", "EgressGuard AIA Test Interception CA"], TextWriter.Null, TextWriter.Null));
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir, CaCommand.CertificateFile));
        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "",
        [
            $"--Tls:InspectPorts:0={upstream.Port}",
            "--Tls:Intercept:Mode=all",
            $"--Tls:Intercept:CaCertificate={Path.Combine(_dir, CaCommand.CertificateFile)}",
            $"--Tls:Intercept:CaKey={Path.Combine(_dir, CaCommand.KeyFile)}",
            .. upstreamCaFile ? [$"--Tls:Intercept:UpstreamCaFile={aia.RootPem}"] : Array.Empty<string>(),
        ]);
        using var client = proxy.CreateClient((_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is not null && chain.Build(cert);
        });

        using var response = await client.GetAsync($"https://aia.test:{upstream.Port}/");

        Assert.Equal(0, aia.Fetches);
        Assert.False(aia.IntermediateCached());
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.True(upstream.Handshakes > 0, "the proxy reached the upstream and saw its certificate");
    }

    /// <summary>A TLS server that sends its leaf certificate and nothing else (no intermediate), and never fetches one itself.</summary>
    private sealed class LeafOnlyTlsServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly SslStreamCertificateContext _context;
        private int _handshakes;

        public LeafOnlyTlsServer(X509Certificate2 leaf)
        {
            _context = SslStreamCertificateContext.Create(leaf, null, offline: true);
            _listener.Start();
            _ = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Handshakes => Volatile.Read(ref _handshakes);

        private async Task ServeAsync()
        {
            while (true)
            {
                TcpClient accepted;
                try
                {
                    accepted = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using var tcp = accepted;
                    Interlocked.Increment(ref _handshakes);
                    try
                    {
                        await using var tls = new SslStream(tcp.GetStream());
                        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _context }).WaitAsync(TimeSpan.FromSeconds(10));
                        await tls.ReadAsync(new byte[4096]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                        await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
                    }
                    catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or TimeoutException or OperationCanceledException)
                    {
                    }
                });
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
