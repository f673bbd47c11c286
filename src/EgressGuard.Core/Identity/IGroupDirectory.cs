namespace EgressGuard.Identity;

/// <summary>Where a user's directory groups come from (LDAP in the host).</summary>
internal interface IGroupDirectory
{
    /// <summary>The group names of <paramref name="user"/> (empty when the user is not in the directory); throws when the directory cannot answer.</summary>
    Task<IReadOnlyList<string>> LookupAsync(string user, CancellationToken cancellationToken);
}
