using EgressGuard.Files;
using EgressGuard.Lists;
using EgressGuard.Tls;

namespace EgressGuard.Interception;

/// <summary>Start-up checks of <c>Tls:Intercept</c>: every problem named, the CA loaded once to prove it works.</summary>
internal static class InterceptionValidation
{
    /// <summary>The configuration key of bypass entry <paramref name="index"/>.</summary>
    internal static string Bypass(int index) => $"Tls:Intercept:Bypass[{index}]";

    public static void Validate(InterceptOptions options, ConfigPaths paths, List<string> errors)
    {
        if (options.Mode is not ("off" or "rules" or "all"))
        {
            errors.Add($"Tls:Intercept:Mode = '{options.Mode}': expected off, rules or all");
            return;
        }

        if (options.LeafLifetime < TimeSpan.FromHours(1) || options.LeafLifetime > TimeSpan.FromDays(90))
        {
            errors.Add($"Tls:Intercept:LeafLifetime = '{options.LeafLifetime}': between 1 hour and 90 days");
        }

        if (options.CacheSize < 1)
        {
            errors.Add($"Tls:Intercept:CacheSize = '{options.CacheSize}': at least 1");
        }

        if (options.HandshakeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Tls:Intercept:HandshakeTimeout = '{options.HandshakeTimeout}': must be positive");
        }

        DestinationList.Parse(options.Bypass, Bypass, errors);
        if (options.UpstreamCaFile is { Length: > 0 } upstream && Dialing.UpstreamTrust.Check(paths.Resolve(upstream)) is { } upstreamError)
        {
            errors.Add($"Tls:Intercept:UpstreamCaFile: {upstreamError}");
        }

        if (options.ParsedMode == InterceptMode.Off)
        {
            return;
        }

        // The CA key signs a certificate for any host every client trusts: readable by anyone but
        // the proxy's user, it is a key to every intercepted connection. Refused, not fixed: the
        // operator decides who should have had it, and whether to replace the CA.
        var keyPath = paths.Resolve(options.CaKey);
        if (File.Exists(keyPath) && PrivateFile.IsOpenToOthers(keyPath, out var mode))
        {
            errors.Add($"Tls:Intercept:CaKey: {keyPath} is readable by group or others (mode {PrivateFile.Octal(mode)}); make it the proxy user's only (chmod 600 {keyPath}), and replace the CA if others may have read it");
            return;
        }

        using var authority = InterceptionAuthority.Load(paths.Resolve(options.CaCertificate), paths.Resolve(options.CaKey), TimeSpan.FromHours(1), 1, TimeProvider.System, out var error);
        if (authority is null)
        {
            errors.Add($"Tls:Intercept (Mode = {options.Mode}): {error}");
        }
    }
}
