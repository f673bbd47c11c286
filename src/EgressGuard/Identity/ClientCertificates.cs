using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EgressGuard.Proxy;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace EgressGuard.Identity;

/// <summary>
/// The HTTPS proxy listener's TLS settings: the server certificate, and client certificates
/// validated against the configured CA only (not the machine's store), revocation not checked
/// (offline CA). A valid client certificate's subject common name is the client's identity.
/// </summary>
internal static class ClientCertificates
{
    public static void Configure(HttpsConnectionAdapterOptions https, ProxyTlsOptions tls, Func<string, string> resolve)
    {
        https.ServerCertificate = X509Certificate2.CreateFromPemFile(resolve(tls.Certificate!), tls.Key is null ? null : resolve(tls.Key));
        https.ClientCertificateMode = tls.ClientCertificates switch
        {
            "required" => ClientCertificateMode.RequireCertificate,
            "optional" => ClientCertificateMode.AllowCertificate,
            _ => ClientCertificateMode.NoCertificate,
        };
        if (https.ClientCertificateMode == ClientCertificateMode.NoCertificate)
        {
            return;
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(resolve(tls.ClientCa!));
        // Both chains built for a client certificate stay offline: SslStream's own (the handshake)
        // and ours (the decision). A client's AIA URL is never fetched (Tls/OfflineChain).
        https.OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = Tls.OfflineChain.CustomTrust(roots);
        https.ClientCertificateValidation = (certificate, _, _) =>
        {
            using var chain = new X509Chain { ChainPolicy = Tls.OfflineChain.CustomTrust(roots) };
            chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
            return chain.Build(certificate);
        };
    }

    /// <summary>The identity a validated client certificate gives, or null.</summary>
    public static ClientIdentity? Identity(System.Net.IPAddress? address, X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return null;
        }

        var name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return new ClientIdentity(address, string.IsNullOrEmpty(name) ? certificate.Subject : name, ["cert:" + certificate.Subject]);
    }

    public static void Validate(ProxyTlsOptions tls, ConfigPaths paths, List<string> errors, string key = "Proxy:Tls")
    {
        var before = errors.Count;
        if (!tls.Enabled)
        {
            if (tls.ClientCertificates != "none")
            {
                errors.Add($"{key}:ClientCertificates needs {key}:Certificate (client certificates come with an HTTPS proxy listener)");
            }

            return;
        }

        foreach (var (name, value) in new[] { (key + ":Certificate", tls.Certificate), (key + ":Key", tls.Key) })
        {
            if (value is not null && !File.Exists(paths.Resolve(value)))
            {
                errors.Add($"{name} = '{value}': file not found");
            }
        }

        // The listener's key lets anyone who reads it pose as the proxy to every client: refused when
        // group or others can read it, like the interception CA's key.
        if (tls.Key is { } keyFile && paths.Resolve(keyFile) is var keyPath && File.Exists(keyPath) && Files.PrivateFile.IsOpenToOthers(keyPath, out var mode))
        {
            errors.Add($"Proxy:Tls:Key: {keyPath} is readable by group or others (mode {Files.PrivateFile.Octal(mode)}); make it the proxy user's only (chmod 600 {keyPath}), and replace the certificate if others may have read it");
        }

        if (tls.ClientCertificates is not ("none" or "optional" or "required"))
        {
            errors.Add($"{key}:ClientCertificates = '{tls.ClientCertificates}': expected none, optional or required");
        }
        else if (tls.ClientCertificates != "none" && (tls.ClientCa is null || !File.Exists(paths.Resolve(tls.ClientCa))))
        {
            errors.Add($"{key}:ClientCa = '{tls.ClientCa}': a PEM CA file is required when client certificates are {tls.ClientCertificates}");
        }

        if (errors.Count == before)
        {
            try
            {
                using var _ = X509Certificate2.CreateFromPemFile(paths.Resolve(tls.Certificate!), tls.Key is null ? null : paths.Resolve(tls.Key));
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
            {
                errors.Add($"{key}:Certificate/Key: cannot load: {ex.Message}");
            }
        }
    }
}
