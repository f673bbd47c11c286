using System.Security.Cryptography;

namespace EgressGuard.Identity;

/// <summary>
/// PBKDF2-HMAC-SHA256 password hashes in the self-describing form
/// <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in base64). A plain password is never
/// stored; verification is constant-time.
/// </summary>
internal static class PasswordHasher
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>
    /// A well-formed hash of no password (random salt and hash): verifying against it costs what a
    /// real check of <paramref name="iterations"/> costs and always fails. Built without hashing.
    /// </summary>
    public static string Dummy(int iterations) =>
        string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Math.Max(iterations, 1000)}${Convert.ToBase64String(RandomNumberGenerator.GetBytes(SaltBytes))}${Convert.ToBase64String(RandomNumberGenerator.GetBytes(HashBytes))}");

    public static bool IsWellFormed(string stored) => TryParse(stored, out _, out _, out _);

    public static bool Verify(string password, string stored)
    {
        if (!TryParse(stored, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1000)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= 8 && hash.Length >= 16;
    }
}
