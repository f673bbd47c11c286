using EgressGuard.Tls;

namespace EgressGuard.Interception;

/// <summary>
/// Configuration section <c>Tls:Intercept</c>: decrypting chosen tunnels with leaf certificates
/// minted from a local CA the clients trust. Off by default: interception reads what users send
/// to their bank or doctor as much as what malware sends to its server; turn it on for the
/// destinations that need URL-level rules, and keep a bypass list.
/// </summary>
internal sealed class InterceptOptions
{
    /// <summary>
    /// <c>off</c> (default): never decrypt. <c>rules</c>: only tunnels that a rule asks for
    /// (<c>inspect: always</c>, or a path rule for the destination). <c>all</c>: every tunnel on
    /// <c>Tls:InspectPorts</c> except the bypass list and <c>inspect: never</c> rules.
    /// </summary>
    public string Mode { get; set; } = "off";

    /// <summary>The CA certificate (PEM), relative to the config file's folder. Default <c>../certs/egressguard-ca.pem</c> (where <c>EgressGuard ca init</c> writes it).</summary>
    public string CaCertificate { get; set; } = "../certs/egressguard-ca.pem";

    /// <summary>The CA's private key (PKCS#8 PEM, keep it 0600). Default <c>../certs/egressguard-ca.key</c>.</summary>
    public string CaKey { get; set; } = "../certs/egressguard-ca.key";

    /// <summary>How long a minted leaf certificate is valid. Default 7 days (cached for half of it); 1 hour to 90 days.</summary>
    public TimeSpan LeafLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How many hosts' leaf certificates are kept. Default 10,000.</summary>
    public int CacheSize { get; set; } = 10_000;

    /// <summary>Time for the client's TLS handshake with the minted certificate. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Never decrypted, whatever a rule says: names (<c>bank.example</c>, <c>*.bank.example</c>,
    /// <c>.bank.example</c>) matched against the CONNECT host, its CNAMEs and the SNI, and address
    /// ranges matched against the dialled address. Empty by default.
    /// </summary>
    public List<string> Bypass { get; set; } = [];

    /// <summary>
    /// Extra roots (PEM, one file) trusted when validating upstream servers' certificates, besides
    /// the system's: an internal CA. Validation is never switched off: an invalid certificate is a 502.
    /// </summary>
    public string? UpstreamCaFile { get; set; }

    public InterceptMode ParsedMode => Mode switch
    {
        "rules" => InterceptMode.Rules,
        "all" => InterceptMode.All,
        _ => InterceptMode.Off,
    };
}
