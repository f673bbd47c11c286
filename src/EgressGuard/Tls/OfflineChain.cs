using System.Security.Cryptography.X509Certificates;

namespace EgressGuard.Tls;

/// <summary>
/// Chain policies that never go to the network. By default .NET follows a certificate's AIA URL to
/// fetch a missing issuer (and, on Linux, keeps what it fetched in the user's intermediate store):
/// an HTTP request to an address chosen by whoever made the certificate — a client presenting it,
/// an upstream server behind an intercepted tunnel — from the proxy itself, past every policy, and
/// a way to plant intermediates for later chains. Peers must send their whole chain; revocation is
/// not checked online either (it would be the same fetch).
/// </summary>
internal static class OfflineChain
{
    /// <summary>A policy trusting the system roots, with downloads off.</summary>
    public static X509ChainPolicy SystemTrust() => new()
    {
        DisableCertificateDownloads = true,
        RevocationMode = X509RevocationMode.NoCheck,
    };

    /// <summary>A policy trusting <paramref name="roots"/> only, with downloads off.</summary>
    public static X509ChainPolicy CustomTrust(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            DisableCertificateDownloads = true,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }
}
