using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EgressGuard.Tls;

namespace EgressGuard.Tests.Tls;

public sealed class InterceptionAuthorityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-ca-" + Guid.NewGuid().ToString("N"));

    public InterceptionAuthorityTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Cert, string Key) WriteCa(bool ca = true, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Test Interception CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(1));
        var certPath = Path.Combine(_dir, "ca.pem");
        var keyPath = Path.Combine(_dir, "ca.key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    private static InterceptionAuthority Load((string Cert, string Key) files, TimeSpan? lifetime = null)
    {
        var authority = InterceptionAuthority.Load(files.Cert, files.Key, lifetime ?? TimeSpan.FromDays(7), 100, TimeProvider.System, out var error);
        Assert.True(authority is not null, error);
        return authority;
    }

    [Fact]
    public void Get_Host_LeafChainsToCaWithSanAndShortLifetime()
    {
        using var authority = Load(WriteCa());
        var leaf = authority.Get("files.example.com").TargetCertificate;
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal("files.example.com", leaf.GetNameInfo(X509NameType.DnsName, false));
        Assert.True(leaf.MatchesHostname("files.example.com"));
        Assert.False(leaf.MatchesHostname("other.example.com"));
        Assert.NotNull(leaf.GetECDsaPublicKey());
        Assert.True(leaf.NotAfter - leaf.NotBefore <= TimeSpan.FromDays(7) + TimeSpan.FromHours(1.01));
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        Assert.True(chain.Build(leaf), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void Get_IpLiteral_SanIsAddress()
    {
        using var authority = Load(WriteCa());
        Assert.True(authority.Get("127.0.0.1").TargetCertificate.MatchesHostname("127.0.0.1"));
    }

    [Fact]
    public async Task Get_ConcurrentSameHost_OneMint()
    {
        using var authority = Load(WriteCa());
        var contexts = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => authority.Get("Busy.Example.COM."))));
        Assert.Equal(1, authority.Minted);
        Assert.All(contexts, c => Assert.Same(contexts[0], c));
        authority.Get("busy.example.com");
        Assert.Equal(1, authority.Minted);
        authority.Get("other.example.com");
        Assert.Equal(2, authority.Minted);
    }

    [Fact]
    public void Load_Missing_SaysHowToCreate()
    {
        Assert.Null(InterceptionAuthority.Load(Path.Combine(_dir, "nope.pem"), Path.Combine(_dir, "nope.key"), TimeSpan.FromDays(1), 10, TimeProvider.System, out var error));
        Assert.Contains("EgressGuard ca init", error);
    }

    [Fact]
    public void Load_NotACa_Refused()
    {
        var files = WriteCa(ca: false);
        Assert.Null(InterceptionAuthority.Load(files.Cert, files.Key, TimeSpan.FromDays(1), 10, TimeProvider.System, out var error));
        Assert.Contains("not a CA certificate", error);
    }

    [Fact]
    public void Load_KeyOfAnotherCa_Refused()
    {
        var files = WriteCa();
        var certText = File.ReadAllText(files.Cert);
        WriteCa();
        File.WriteAllText(files.Cert, certText); // the first CA's certificate with the second CA's key
        Assert.Null(InterceptionAuthority.Load(files.Cert, files.Key, TimeSpan.FromDays(1), 10, TimeProvider.System, out var error));
        Assert.Contains("does not belong", error);
    }

    [Fact]
    public async Task Get_Handshake_ClientTrustingCaAccepts()
    {
        using var authority = Load(WriteCa());
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var tcpClient = new System.Net.Sockets.TcpClient();
        await tcpClient.ConnectAsync(System.Net.IPAddress.Loopback, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await listener.AcceptTcpClientAsync();
        var serverStream = accepted.GetStream();
        var clientStream = tcpClient.GetStream();
        await using var server = new SslStream(serverStream);
        await using var client = new SslStream(clientStream, false, (_, cert, chain, errors) =>
        {
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.Add(authority.Certificate);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && custom.Build((X509Certificate2)cert!);
        });
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = authority.Get("shop.test") }),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "shop.test" })).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("CN=shop.test", client.RemoteCertificate!.Subject);
    }
}
