namespace EgressGuard.Admin;

/// <summary>Checks the <c>Admin</c> section: a parseable listener, not the proxy's, and never open to the network without a token.</summary>
internal static class AdminValidation
{
    public static IPEndPoint? Validate(AdminOptions admin, IReadOnlyList<Proxy.ProxyListener> proxy, ConfigPaths paths, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(admin.Listen))
        {
            return null;
        }

        if (!IPEndPoint.TryParse(admin.Listen, out var endpoint))
        {
            errors.Add($"Admin:Listen = '{admin.Listen}': expected ip:port, e.g. 127.0.0.1:3129 (empty disables the admin API)");
            return null;
        }

        if (endpoint.Port != 0 && proxy.Select(l => l.Endpoint).Any(p => endpoint.Port == p.Port && (endpoint.Address.Equals(p.Address) || endpoint.Address.Equals(IPAddress.Any) || p.Address.Equals(IPAddress.Any))))
        {
            errors.Add($"Admin:Listen = '{admin.Listen}': the admin API never shares the proxy's port");
        }

        var hasToken = !string.IsNullOrEmpty(admin.Token) || !string.IsNullOrEmpty(admin.TokenFile) || admin.Tokens.Count > 0;
        if (!IPAddress.IsLoopback(endpoint.Address) && !hasToken)
        {
            errors.Add($"Admin:Listen = '{admin.Listen}': not a loopback address, so Admin:Token (or Admin:TokenFile / Admin:Tokens) is required");
        }

        if (!string.IsNullOrEmpty(admin.TokenFile) && !File.Exists(paths.Resolve(admin.TokenFile)))
        {
            errors.Add($"Admin:TokenFile = '{admin.TokenFile}': file not found");
        }

        for (var i = 0; i < admin.Tokens.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(admin.Tokens[i].Name) || admin.Tokens[i].Token.Length < 16)
            {
                errors.Add($"Admin:Tokens:{i}: needs a Name and a Token of at least 16 characters");
            }
        }

        if (admin.Token is { Length: > 0 and < 16 })
        {
            errors.Add("Admin:Token: at least 16 characters");
        }

        if (admin.RecentDecisions is < 0 or > 1_000_000)
        {
            errors.Add($"Admin:RecentDecisions = '{admin.RecentDecisions}': between 0 and 1000000");
        }

        return endpoint;
    }
}
