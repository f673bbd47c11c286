namespace EgressGuard.Identity;

/// <summary>Configuration section <c>Proxy:Tls</c>. Off unless <see cref="Certificate"/> is set.</summary>
internal sealed class ProxyTlsOptions
{
    /// <summary>PEM certificate (chain) of the proxy listener; setting it makes the listener an HTTPS proxy.</summary>
    public string? Certificate { get; set; }

    /// <summary>PEM private key of <see cref="Certificate"/> (PKCS#8 or RSA/EC), mode 0600.</summary>
    public string? Key { get; set; }

    /// <summary><c>none</c> (default), <c>optional</c> or <c>required</c>: client certificates (mTLS). A
    /// certificate's subject common name becomes the client's identity (user), as Smokescreen's roles.</summary>
    public string ClientCertificates { get; set; } = "none";

    /// <summary>PEM CA certificate(s) client certificates must chain to. Required unless ClientCertificates is none.</summary>
    public string? ClientCa { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(Certificate);
}
