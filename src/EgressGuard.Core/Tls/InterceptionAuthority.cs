using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Caching.Memory;

namespace EgressGuard.Tls;

/// <summary>
/// Mints the leaf certificates that intercepted tunnels present to clients, signed by the local CA
/// (<c>EgressGuard ca init</c>): ECDSA P-256, SAN = the host (DNS name or IP), server-auth only,
/// valid from an hour ago (client clock skew) for <see cref="Lifetime"/>, never past the CA.
/// Minted contexts are cached (bounded, expiring well before the certificate does); concurrent
/// handshakes for the same host wait for one mint instead of minting their own.
/// </summary>
internal sealed class InterceptionAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2 _ca;
    private readonly ECDsa _caKey;
    private readonly MemoryCache _cache;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private long _minted;

    private InterceptionAuthority(X509Certificate2 ca, ECDsa caKey, TimeSpan lifetime, int capacity, TimeProvider time)
    {
        _ca = ca;
        _caKey = caKey;
        _time = time;
        Lifetime = lifetime;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });
    }

    public TimeSpan Lifetime { get; }

    /// <summary>The CA certificate (public part) the leaves chain to.</summary>
    public X509Certificate2 Certificate => _ca;

    /// <summary>When the CA stops being valid.</summary>
    public DateTimeOffset ExpiresAt => new(_ca.NotAfter.ToUniversalTime());

    /// <summary>Leaf certificates minted since start (a cache hit mints none).</summary>
    public long Minted => Interlocked.Read(ref _minted);

    /// <summary>Loads the CA certificate and its PKCS#8 key (PEM); every problem comes back as a sentence naming the file.</summary>
    public static InterceptionAuthority? Load(string certificatePath, string keyPath, TimeSpan lifetime, int capacity, TimeProvider time, out string? error)
    {
        error = null;
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            error = $"the interception CA is missing ({(File.Exists(certificatePath) ? keyPath : certificatePath)} not found): create it with 'EgressGuard ca init' and install {Path.GetFileName(certificatePath)} on the clients";
            return null;
        }

        X509Certificate2 certificate;
        ECDsa? key = null;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(System.Text.Encoding.ASCII.GetBytes(File.ReadAllText(certificatePath)));
        }
        catch (CryptographicException ex)
        {
            error = $"{certificatePath}: not a PEM certificate ({ex.Message})";
            return null;
        }

        try
        {
            key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key?.Dispose();
            certificate.Dispose();
            error = $"{keyPath}: not an ECDSA private key in PEM ({ex.Message})";
            return null;
        }

        var problem = Check(certificate, key, time.GetUtcNow());
        if (problem is not null)
        {
            key.Dispose();
            certificate.Dispose();
            error = $"{certificatePath}: {problem}";
            return null;
        }

        return new InterceptionAuthority(certificate, key, lifetime, capacity, time);
    }

    /// <summary>For tests and benchmarks: an authority over a CA made in memory.</summary>
    public static InterceptionAuthority Create(X509Certificate2 ca, ECDsa caKey, TimeSpan lifetime, int capacity, TimeProvider time) =>
        new(ca, caKey, lifetime, capacity, time);

    private static string? Check(X509Certificate2 certificate, ECDsa key, DateTimeOffset now)
    {
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            return "not a CA certificate (basic constraints CA:TRUE missing)";
        }

        if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime || certificate.NotBefore.ToUniversalTime() > now.UtcDateTime)
        {
            return $"the CA is not valid now (valid {certificate.NotBefore:u} to {certificate.NotAfter:u})";
        }

        using var publicKey = certificate.GetECDsaPublicKey();
        if (publicKey is null)
        {
            return "the CA key is not ECDSA";
        }

        var probe = "egressguard"u8.ToArray();
        if (!publicKey.VerifyData(probe, key.SignData(probe, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256))
        {
            return "the private key does not belong to this certificate";
        }

        return null;
    }

    /// <summary>The server certificate context for <paramref name="host"/>: cached, else minted once.</summary>
    public SslStreamCertificateContext Get(string host)
    {
        var key = host.TrimEnd('.').ToLowerInvariant();
        if (!_cache.TryGetValue(key, out Lazy<SslStreamCertificateContext>? entry))
        {
            lock (_gate)
            {
                if (!_cache.TryGetValue(key, out entry))
                {
                    entry = new Lazy<SslStreamCertificateContext>(() => Mint(key), LazyThreadSafetyMode.ExecutionAndPublication);
                    // Re-minted well before it expires (a long-lived client connection keeps its own
                    // copy), and never kept past the CA's own end.
                    var untilCaEnds = new DateTimeOffset(_ca.NotAfter.ToUniversalTime()) - _time.GetUtcNow();
                    var keep = untilCaEnds / 2 < Lifetime / 2 ? untilCaEnds / 2 : Lifetime / 2;
                    _cache.Set(key, entry, new MemoryCacheEntryOptions
                    {
                        Size = 1,
                        AbsoluteExpirationRelativeToNow = keep > TimeSpan.FromSeconds(1) ? keep : TimeSpan.FromSeconds(1),
                    });
                }
            }
        }

        try
        {
            return entry!.Value;
        }
        catch
        {
            _cache.Remove(key); // a failed mint is not cached
            throw;
        }
    }

    private SslStreamCertificateContext Mint(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var common = host.Length <= 64 ? host : host[..64];
        var request = new CertificateRequest(new X500DistinguishedName($"CN={common.Replace("\"", string.Empty, StringComparison.Ordinal)}"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            san.AddIpAddress(address);
        }
        else
        {
            san.AddDnsName(host);
        }

        request.CertificateExtensions.Add(san.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        var now = _time.GetUtcNow();
        if (_ca.NotAfter.ToUniversalTime() <= now.UtcDateTime.AddHours(1))
        {
            throw new InvalidOperationException($"the interception CA expires {_ca.NotAfter.ToUniversalTime():u}: renew it (EgressGuard ca init --force) and reinstall it on the clients");
        }

        var notAfter = now + Lifetime;
        if (notAfter > _ca.NotAfter.ToUniversalTime())
        {
            notAfter = _ca.NotAfter.ToUniversalTime();
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        using var signed = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), now.AddHours(-1), notAfter, serial);
        var leaf = signed.CopyWithPrivateKey(key);
        Interlocked.Increment(ref _minted);
        return SslStreamCertificateContext.Create(leaf, [_ca], offline: true);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _caKey.Dispose();
        _ca.Dispose();
    }
}
