using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using EgressGuard.Files;

namespace EgressGuard.Cli;

/// <summary>
/// <c>EgressGuard ca init|export</c>: the local root CA that TLS interception will mint leaf
/// certificates from. ECDSA P-256, 10 years by default, key as PKCS#8 PEM with mode 0600; an
/// existing CA is never overwritten without <c>--force</c> (workstations already trust it).
/// </summary>
internal static class CaCommand
{
    public const string CertificateFile = "egressguard-ca.pem";
    public const string KeyFile = "egressguard-ca.key";

    public const string Usage = """
        usage: EgressGuard ca init [--out DIR] [--name "CN"] [--days 3650] [--force]
                                   writes DIR/egressguard-ca.pem (certificate) and DIR/egressguard-ca.key (PKCS#8, mode 0600)
               EgressGuard ca export [--out DIR]
                                   prints the certificate (PEM) to install on workstations
        DIR defaults to certs/ next to the configuration (or the working directory).
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        var verb = args.Length > 0 ? args[0] : null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--force")
            {
                options["force"] = "true";
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                options[args[i][2..]] = args[++i];
            }
            else
            {
                error.WriteLine($"unexpected argument '{args[i]}'\n{Usage}");
                return 2;
            }
        }

        var directory = Path.GetFullPath(options.GetValueOrDefault("out") ?? DefaultDirectory());
        return verb switch
        {
            "init" => Init(directory, options, output, error),
            "export" => Export(directory, output, error),
            _ => Fail(error, Usage, 2),
        };
    }

    private static int Init(string directory, Dictionary<string, string?> options, TextWriter output, TextWriter error)
    {
        var certificatePath = Path.Combine(directory, CertificateFile);
        var keyPath = Path.Combine(directory, KeyFile);
        if ((File.Exists(certificatePath) || File.Exists(keyPath)) && !options.ContainsKey("force"))
        {
            return Fail(error, $"{certificatePath} or {KeyFile} already exists: clients may trust it already. Use --force to replace it (and reinstall it everywhere).", 1);
        }

        if (!int.TryParse(options.GetValueOrDefault("days") ?? "3650", System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days) || days is < 1 or > 36500)
        {
            return Fail(error, $"--days '{options.GetValueOrDefault("days")}': between 1 and 36500", 2);
        }

        var name = options.GetValueOrDefault("name") ?? $"EgressGuard Local CA ({Environment.MachineName})";
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name.Replace(",", "\\,", StringComparison.Ordinal)}, O=EgressGuard"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));

        Directory.CreateDirectory(directory);
        // The key file is created with 0600 before a byte of key is written to it.
        PrivateFile.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        output.WriteLine($"""
            Wrote {certificatePath} (certificate) and {keyPath} (private key, mode 0600).
            CA: {certificate.Subject}, ECDSA P-256, valid until {certificate.NotAfter:yyyy-MM-dd}, SHA-256 fingerprint {certificate.GetCertHashString(HashAlgorithmName.SHA256)}
            Keep the key on the proxy only; never commit it (certs/.gitignore ignores it).

            Install the certificate (not the key) on every workstation that will be inspected:
              Debian/Ubuntu: sudo cp {CertificateFile} /usr/local/share/ca-certificates/egressguard-ca.crt && sudo update-ca-certificates
              RHEL/Fedora:   sudo cp {CertificateFile} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust
              Windows:       certutil -addstore -f Root {CertificateFile}   (or Group Policy: Trusted Root Certification Authorities)
              macOS:         sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {CertificateFile}
              Firefox:       Settings → Privacy & Security → Certificates → Import (or the enterprise policy Certificates/Install)
              Java:          keytool -importcert -cacerts -alias egressguard -file {CertificateFile}
              Node.js:       NODE_EXTRA_CA_CERTS={CertificateFile};  Python requests: REQUESTS_CA_BUNDLE / the OS store
            'EgressGuard ca export' prints it again.
            """);
        return 0;
    }

    private static int Export(string directory, TextWriter output, TextWriter error)
    {
        var certificatePath = Path.Combine(directory, CertificateFile);
        if (!File.Exists(certificatePath))
        {
            return Fail(error, $"no CA at {certificatePath}: run 'EgressGuard ca init' first", 1);
        }

        // Parsed, not copied: a damaged file is reported here rather than installed on workstations.
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        output.Write(certificate.ExportCertificatePem() + "\n");
        return 0;
    }

    private static string DefaultDirectory()
    {
        var config = CommandLine.FindDefaultConfig();
        var root = File.Exists(config) ? Path.GetDirectoryName(Path.GetDirectoryName(config)!)! : Directory.GetCurrentDirectory();
        return Path.Combine(root, "certs");
    }

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine(message);
        return code;
    }
}
