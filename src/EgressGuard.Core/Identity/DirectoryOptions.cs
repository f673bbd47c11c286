namespace EgressGuard.Identity;

/// <summary>
/// Configuration section <c>Directory</c>: where an authenticated user's groups come from (besides
/// the users file), so that rules that scope by <c>groups</c> follow the company directory.
/// </summary>
internal sealed class DirectoryOptions
{
    public const string Section = "Directory";

    /// <summary><c>Directory:Ldap</c>: Active Directory, FreeIPA or OpenLDAP. Off while <c>Url</c> is empty (default).</summary>
    public LdapOptions Ldap { get; set; } = new();

    /// <summary>How long a user's groups are used before they are looked up again (in the background; the request does not wait). Default 5 min.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// While the directory cannot be reached, the last known groups are kept this long past
    /// <see cref="CacheTtl"/>; after that the user's directory groups are unknown and group rules fail
    /// closed: group-scoped allow rules no longer match, group-scoped deny rules match. Default 1 h.
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>One lookup's time limit (connect, bind, searches); the first request of a user not yet cached waits at most this. Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public bool Enabled => !string.IsNullOrWhiteSpace(Ldap.Url);
}
