using System.Security.Cryptography;
using EgressGuard.Files;

namespace EgressGuard.Admin;

/// <summary>
/// The admin API's bearer tokens, each with a name for the audit log. When none is configured, a
/// random one is generated and written to <c>Data:Directory/admin-token</c> (mode 0600) so that the
/// API is never open; the CLI reads it from there.
/// </summary>
internal sealed class AdminTokens
{
    private readonly List<(string Name, byte[] Hash)> _tokens = [];

    public AdminTokens(AdminOptions options, ConfigPaths paths, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(options.Token))
        {
            Add("admin", options.Token);
        }

        if (!string.IsNullOrEmpty(options.TokenFile))
        {
            Add("admin", File.ReadAllText(paths.Resolve(options.TokenFile)).Trim());
        }

        foreach (var named in options.Tokens)
        {
            Add(named.Name, named.Token);
        }

        if (_tokens.Count == 0)
        {
            GeneratedFile = Path.Combine(dataDirectory, "admin-token");
            var token = File.Exists(GeneratedFile) ? File.ReadAllText(GeneratedFile).Trim() : null;
            if (string.IsNullOrEmpty(token))
            {
                token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
                Directory.CreateDirectory(dataDirectory);
                PrivateFile.WriteAllText(GeneratedFile, token + "\n");
            }

            Add("admin", token);
        }
    }

    /// <summary>Where the generated token was written, when one was generated.</summary>
    public string? GeneratedFile { get; }

    /// <summary>The name of the token presented, or null. Constant-time over every configured token.</summary>
    public string? Authenticate(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? name = null;
        foreach (var (tokenName, tokenHash) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, tokenHash))
            {
                name ??= tokenName;
            }
        }

        return name;
    }

    private void Add(string name, string token) => _tokens.Add((name, SHA256.HashData(Encoding.UTF8.GetBytes(token))));
}
