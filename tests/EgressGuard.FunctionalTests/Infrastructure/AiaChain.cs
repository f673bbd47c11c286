using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A root, an intermediate and a leaf whose Authority Information Access names the intermediate's
/// download URL on a loopback listener, which counts every connection (and serves the intermediate,
/// so a chain builder that fetches would succeed). The leaf is presented alone, as a misconfigured
/// server or a hostile client would.
/// </summary>
public sealed class AiaChain : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _fetches;

    public AiaChain(string directory, bool clientAuth, string dnsName = "aia.test")
    {
        _listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/intermediate.cer";
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=EgressGuard AIA Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest($"CN=EgressGuard AIA Test Intermediate {Guid.NewGuid():N}", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var intermediatePublic = intermediateRequest.Create(root, DateTimeOffset.UtcNow.AddMinutes(-4), DateTimeOffset.UtcNow.AddHours(20), RandomNumberGenerator.GetBytes(8));
        using var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);
        IntermediateDer = intermediate.RawData;
        IntermediateSubject = intermediate.Subject;

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(clientAuth ? "CN=aia-client, O=Build Farm" : $"CN={dnsName}", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [url]));
        if (!clientAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dnsName);
            leafRequest.CertificateExtensions.Add(san.Build());
        }

        using var leafPublic = leafRequest.Create(intermediate, DateTimeOffset.UtcNow.AddMinutes(-3), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        using var leafWithKey = leafPublic.CopyWithPrivateKey(leafKey);
        // Round-trip through PKCS#12 so that SslStream on Linux can use the private key.
        Leaf = X509CertificateLoader.LoadPkcs12(leafWithKey.Export(X509ContentType.Pkcs12), null);
        Directory.CreateDirectory(directory);
        RootPem = Path.Combine(directory, "aia-root.pem");
        File.WriteAllText(RootPem, root.ExportCertificatePem());
        _ = ServeAsync();
    }

    /// <summary>The root (only) as a PEM file: what the proxy is told to trust.</summary>
    public string RootPem { get; }

    /// <summary>The leaf with its key; its issuer is nowhere but behind the AIA URL.</summary>
    public X509Certificate2 Leaf { get; }

    public byte[] IntermediateDer { get; }

    /// <summary>Unique per chain: .NET on Linux keeps downloaded issuers in the user's CA store, so a name reused across runs would meet an old download.</summary>
    public string IntermediateSubject { get; }

    /// <summary>Whether the intermediate sits in the current user's intermediate store (where .NET caches what it downloaded).</summary>
    public bool IntermediateCached()
    {
        using var store = new X509Store(StoreName.CertificateAuthority, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly);
        return store.Certificates.Any(c => c.Subject == IntermediateSubject);
    }

    /// <summary>Connections the AIA listener accepted: any is a certificate download.</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _fetches);
            using (socket)
            {
                try
                {
                    var buffer = new byte[4096];
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\nContent-Length: {IntermediateDer.Length}\r\nConnection: close\r\n\r\n");
                    await socket.SendAsync(head.Concat(IntermediateDer).ToArray(), SocketFlags.None, timeout.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException)
                {
                }
            }
        }
    }

    public void Dispose()
    {
        // A download that did happen (the bug this guards against) leaves the issuer in the user's store: take it out.
        using (var store = new X509Store(StoreName.CertificateAuthority, StoreLocation.CurrentUser))
        {
            store.Open(OpenFlags.ReadWrite);
            foreach (var cached in store.Certificates.Where(c => c.Subject == IntermediateSubject).ToList())
            {
                store.Remove(cached);
            }
        }

        _stop.Cancel();
        _listener.Stop();
        Leaf.Dispose();
        _stop.Dispose();
    }
}
