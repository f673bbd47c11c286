namespace EgressGuard.Identity;

/// <summary>Configuration section <c>Directory:Ldap</c>. Placeholders in filters are escaped (RFC 4515).</summary>
internal sealed class LdapOptions
{
    /// <summary><c>ldap://host[:389]</c> or <c>ldaps://host[:636]</c> (certificate checked against the system's trust store). Default: none (off).</summary>
    public string? Url { get; set; }

    /// <summary>The service account's DN for a simple bind, e.g. <c>CN=egressguard,OU=Services,DC=corp,DC=example</c>. Default: none (anonymous bind).</summary>
    public string? BindDn { get; set; }

    /// <summary>A file holding the bind password (relative to the config folder; trailing newline ignored), re-read at each connection. Never inline in the config.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Where users are searched (subtree). Required when <see cref="Url"/> is set.</summary>
    public string? BaseDn { get; set; }

    /// <summary>
    /// The user search filter: <c>{user}</c> is the name before <c>@</c> of the Kerberos principal (or
    /// the Basic user), <c>{principal}</c> the whole name. Default <c>(uid={user})</c> (OpenLDAP,
    /// FreeIPA); Active Directory: <c>(userPrincipalName={principal})</c> or <c>(sAMAccountName={user})</c>.
    /// </summary>
    public string UserFilter { get; set; } = "(uid={user})";

    /// <summary>The attribute on the user (and group) entry listing group DNs. Default <c>memberOf</c> (AD, FreeIPA, OpenLDAP's memberof overlay); empty to skip.</summary>
    public string GroupAttribute { get; set; } = "memberOf";

    /// <summary>
    /// A group search filter, for directories without <c>memberOf</c>: <c>{dn}</c> is the member's DN,
    /// e.g. <c>(&amp;(objectClass=groupOfNames)(member={dn}))</c> or <c>(memberUid={user})</c>. Default: none.
    /// </summary>
    public string? GroupFilter { get; set; }

    /// <summary>Where <see cref="GroupFilter"/> searches (subtree). Default: <see cref="BaseDn"/>.</summary>
    public string? GroupBaseDn { get; set; }

    /// <summary>Follow groups of groups (a member of <c>devs</c>, itself a member of <c>engineering</c>, is in both). Default false.</summary>
    public bool Nested { get; set; }
}
