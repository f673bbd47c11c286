namespace EgressGuard.Identity;

/// <summary>Checks the <c>Auth</c> section: for Basic the credentials file, for Negotiate the keytab and service principal.</summary>
internal static class AuthValidation
{
    public static void Validate(AuthOptions auth, ConfigPaths paths, List<string> errors)
    {
        if (auth.Schemes() is null)
        {
            errors.Add($"Auth:Mode = '{auth.Mode}': expected none, basic, negotiate or negotiate,basic");
            return;
        }

        if (auth.IsNegotiate)
        {
            NegotiateSetup.Validate(auth, paths, errors);
        }

        if (auth.MaxFailures < 1)
        {
            errors.Add($"Auth:MaxFailures = '{auth.MaxFailures}': at least 1");
        }

        if (auth.FailureWindow <= TimeSpan.Zero || auth.CacheTtl < TimeSpan.Zero)
        {
            errors.Add("Auth:FailureWindow must be positive and Auth:CacheTtl not negative");
        }

        if (auth.CacheSize < 1 || auth.MaxConcurrentHashes < 1)
        {
            errors.Add($"Auth:CacheSize = '{auth.CacheSize}', Auth:MaxConcurrentHashes = '{auth.MaxConcurrentHashes}': each at least 1");
        }

        if (auth.HashQueueTimeout < TimeSpan.Zero)
        {
            errors.Add($"Auth:HashQueueTimeout = '{auth.HashQueueTimeout}': not negative");
        }

        if (!auth.IsBasic)
        {
            return;
        }

        var path = paths.Resolve(auth.UsersFile);
        if (!File.Exists(path))
        {
            errors.Add($"Auth:UsersFile = '{auth.UsersFile}': {path} not found; create it with 'EgressGuard users add NAME'");
            return;
        }

        errors.AddRange(UsersFile.Load(path).Errors);
    }
}
