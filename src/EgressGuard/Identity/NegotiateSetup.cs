namespace EgressGuard.Identity;

/// <summary>Where the Negotiate keytab is, its start-time checks, and the acceptor for the host.</summary>
internal static class NegotiateSetup
{
    /// <summary><c>Auth:Negotiate:Keytab</c> (relative to the config folder), else <c>KRB5_KTNAME</c>, else null.</summary>
    public static string? KeytabPath(AuthOptions auth, ConfigPaths paths)
    {
        if (!string.IsNullOrWhiteSpace(auth.Negotiate.Keytab))
        {
            return paths.Resolve(auth.Negotiate.Keytab);
        }

        var environment = Environment.GetEnvironmentVariable("KRB5_KTNAME");
        if (string.IsNullOrWhiteSpace(environment))
        {
            return null;
        }

        // MIT's residual syntax: TYPE:PATH; only file keytabs can be checked here.
        foreach (var prefix in new[] { "FILE:", "WRFILE:" })
        {
            if (environment.StartsWith(prefix, StringComparison.Ordinal))
            {
                return environment[prefix.Length..];
            }
        }

        return environment;
    }

    /// <summary>The acceptor when <c>Auth:Mode</c> names negotiate (the keytab registered), else null.</summary>
    public static NegotiateAcceptor? Create(AuthOptions auth, ConfigPaths paths) =>
        auth.IsNegotiate ? new NegotiateAcceptor(string.IsNullOrWhiteSpace(auth.Negotiate.Keytab) ? null : KeytabPath(auth, paths)) : null;

    public static void Validate(AuthOptions auth, ConfigPaths paths, List<string> errors)
    {
        if (!GssAcceptorIdentity.IsAvailable())
        {
            errors.Add($"Auth:Mode = '{auth.Mode}': Negotiate needs MIT Kerberos GSSAPI (libgssapi_krb5.so.2): install libgssapi-krb5-2");
            return;
        }

        var principal = auth.Negotiate.ServicePrincipal;
        if (string.IsNullOrWhiteSpace(principal) || !principal.Contains('/', StringComparison.Ordinal))
        {
            errors.Add($"Auth:Negotiate:ServicePrincipal = '{principal}': required, e.g. HTTP/proxy.corp.example@CORP.EXAMPLE (HTTP/ + the proxy host name clients are configured with)");
        }

        var keytab = KeytabPath(auth, paths);
        if (keytab is null)
        {
            errors.Add("Auth:Negotiate:Keytab: required (or the KRB5_KTNAME environment variable): the keytab with the proxy's service key (docs/identity.md)");
            return;
        }

        if (!File.Exists(keytab))
        {
            errors.Add($"Auth:Negotiate:Keytab = '{auth.Negotiate.Keytab ?? "(KRB5_KTNAME)"}': {keytab} not found");
            return;
        }

        var (principals, error) = KeytabFile.ReadPrincipals(keytab);
        if (error is not null)
        {
            errors.Add($"Auth:Negotiate:Keytab: {error}");
        }
        else if (!string.IsNullOrWhiteSpace(principal) && !principals.Any(p => Matches(p, principal)))
        {
            errors.Add($"Auth:Negotiate:ServicePrincipal = '{principal}': not in the keytab {keytab} (it holds: {(principals.Count == 0 ? "nothing" : string.Join(", ", principals))})");
        }
    }

    /// <summary>A configured principal without a realm matches the keytab's name in any realm.</summary>
    private static bool Matches(string inKeytab, string configured) =>
        configured.Contains('@', StringComparison.Ordinal)
            ? string.Equals(inKeytab, configured, StringComparison.Ordinal)
            : inKeytab.StartsWith(configured + "@", StringComparison.Ordinal);
}
