using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EgressGuard.Dialing;

/// <summary>
/// The roots upstream servers' certificates are validated against when an internal CA is added
/// (<c>Tls:Intercept:UpstreamCaFile</c>): the system's trusted roots plus every certificate of that file.
/// </summary>
internal static class UpstreamTrust
{
    public static X509Certificate2Collection Load(string extraFile)
    {
        var roots = new X509Certificate2Collection();
        using (var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine))
        {
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                roots.AddRange(store.Certificates);
            }
            catch (CryptographicException)
            {
                // No system store here: only the configured roots are trusted.
            }
        }

        roots.ImportFromPemFile(extraFile);
        return roots;
    }

    /// <summary>For start-up validation: the file exists and holds at least one certificate.</summary>
    public static string? Check(string path)
    {
        if (!File.Exists(path))
        {
            return $"{path} not found";
        }

        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            return certificates.Count == 0 ? $"{path}: no PEM certificate in it" : null;
        }
        catch (CryptographicException ex)
        {
            return $"{path}: {ex.Message}";
        }
    }
}
