using EgressGuard.Configuration;
using EgressGuard.Tls;

namespace EgressGuard.Interception;

/// <summary>Start-up checks of <c>Tls:Intercept</c>: every problem named, the CA loaded once to prove it works.</summary>
internal static class InterceptionValidation
{
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

        InterceptionBypass.Parse(options.Bypass, errors);
        if (options.UpstreamCaFile is { Length: > 0 } upstream && Dialing.UpstreamTrust.Check(paths.Resolve(upstream)) is { } upstreamError)
        {
            errors.Add($"Tls:Intercept:UpstreamCaFile: {upstreamError}");
        }

        if (options.ParsedMode == InterceptMode.Off)
        {
            return;
        }

        using var authority = InterceptionAuthority.Load(paths.Resolve(options.CaCertificate), paths.Resolve(options.CaKey), TimeSpan.FromHours(1), 1, TimeProvider.System, out var error);
        if (authority is null)
        {
            errors.Add($"Tls:Intercept (Mode = {options.Mode}): {error}");
        }
    }
}
