namespace EgressGuard.Identity;

/// <summary>The <c>Directory</c> section's start-time checks and the group cache for the host.</summary>
internal static class DirectorySetup
{
    public static void Validate(DirectoryOptions directory, AuthOptions auth, ConfigPaths paths, List<string> errors)
    {
        if (directory.CacheTtl <= TimeSpan.Zero || directory.Grace < TimeSpan.Zero || directory.Timeout <= TimeSpan.Zero)
        {
            errors.Add($"Directory: CacheTtl ('{directory.CacheTtl}') and Timeout ('{directory.Timeout}') must be positive, Grace ('{directory.Grace}') not negative");
        }

        if (!directory.Enabled)
        {
            return;
        }

        var ldap = directory.Ldap;
        if (LdapGroupDirectory.ParseUrl(ldap.Url!, out var error) is null)
        {
            errors.Add($"Directory:Ldap:Url = '{ldap.Url}': {error}");
        }

        if (string.IsNullOrWhiteSpace(ldap.BaseDn))
        {
            errors.Add("Directory:Ldap:BaseDn: required, e.g. DC=corp,DC=example");
        }

        if (!ldap.UserFilter.StartsWith('(') || !(ldap.UserFilter.Contains("{user}", StringComparison.Ordinal) || ldap.UserFilter.Contains("{principal}", StringComparison.Ordinal)))
        {
            errors.Add($"Directory:Ldap:UserFilter = '{ldap.UserFilter}': a filter in parentheses naming {{user}} or {{principal}}, e.g. (uid={{user}})");
        }

        if (ldap.GroupFilter is { Length: > 0 } groupFilter && (!groupFilter.StartsWith('(') || !(groupFilter.Contains("{dn}", StringComparison.Ordinal) || groupFilter.Contains("{user}", StringComparison.Ordinal))))
        {
            errors.Add($"Directory:Ldap:GroupFilter = '{groupFilter}': a filter in parentheses naming {{dn}} or {{user}}, e.g. (member={{dn}})");
        }

        if (string.IsNullOrEmpty(ldap.GroupAttribute) && string.IsNullOrEmpty(ldap.GroupFilter))
        {
            errors.Add("Directory:Ldap: GroupAttribute or GroupFilter is needed to find groups");
        }

        if (!string.IsNullOrEmpty(ldap.BindDn) && (ldap.PasswordFile is null || !File.Exists(paths.Resolve(ldap.PasswordFile))))
        {
            errors.Add($"Directory:Ldap:PasswordFile = '{ldap.PasswordFile}': the bind password file is required with a BindDn, and must exist");
        }

        if (!auth.RequiresAuthentication)
        {
            errors.Add("Directory:Ldap is set but Auth:Mode is none: directory groups need an authenticated user (negotiate or basic)");
        }
    }

    public static DirectoryGroupCache? Create(DirectoryOptions directory, ConfigPaths paths, TimeProvider time, ILoggerFactory loggers) =>
        directory.Enabled
            ? new DirectoryGroupCache(
                new LdapGroupDirectory(directory, directory.Ldap.PasswordFile is null ? null : paths.Resolve(directory.Ldap.PasswordFile)),
                directory,
                time,
                loggers.CreateLogger("EgressGuard.Directory"))
            : null;
}
