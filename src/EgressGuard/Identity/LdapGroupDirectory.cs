using System.DirectoryServices.Protocols;

namespace EgressGuard.Identity;

/// <summary>
/// A user's groups from LDAP (System.DirectoryServices.Protocols over libldap), one connection per
/// lookup (lookups are rare: the cache answers in between):
/// 1. bind: simple with the service account (password re-read from its file), else anonymous;
/// 2. find the user with <c>UserFilter</c>; not found → no groups (known, not an outage);
/// 3. the group DNs: the user's <c>GroupAttribute</c> values and what <c>GroupFilter</c> finds;
/// 4. with <c>Nested</c>, the same for each group, breadth first, each group once;
/// 5. a group's name is its DN's first value (<c>cn=staff,ou=groups,…</c> → <c>staff</c>).
/// </summary>
internal sealed class LdapGroupDirectory : IGroupDirectory
{
    /// <summary>Bounds a nested walk over a cyclic or huge group tree.</summary>
    private const int MaxGroups = 1000;

    private readonly LdapOptions _options;
    private readonly TimeSpan _timeout;
    private readonly string? _passwordPath;
    private readonly (string Host, int Port, bool Secure) _server;

    public LdapGroupDirectory(DirectoryOptions options, string? passwordPath)
    {
        _options = options.Ldap;
        _timeout = options.Timeout;
        _passwordPath = passwordPath;
        _server = ParseUrl(_options.Url!, out _) ?? throw new ArgumentException("invalid Directory:Ldap:Url");
    }

    public Task<IReadOnlyList<string>> LookupAsync(string user, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<string>>(() => Lookup(user), cancellationToken);

    /// <summary><c>ldap://host[:port]</c> or <c>ldaps://host[:port]</c>; null (and why) otherwise.</summary>
    public static (string Host, int Port, bool Secure)? ParseUrl(string url, out string error)
    {
        error = string.Empty;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ldap" or "ldaps") || string.IsNullOrEmpty(uri.Host))
        {
            error = "expected ldap://host[:port] or ldaps://host[:port]";
            return null;
        }

        var secure = uri.Scheme == "ldaps";
        return (uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? (secure ? 636 : 389) : uri.Port, secure);
    }

    /// <summary>RFC 4515 escaping of a value placed in a filter.</summary>
    public static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            escaped.Append(c switch
            {
                '\\' => @"\5c",
                '*' => @"\2a",
                '(' => @"\28",
                ')' => @"\29",
                '\0' => @"\00",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

    /// <summary><c>cn=staff,ou=groups,dc=x</c> → <c>staff</c>.</summary>
    public static string NameOf(string dn)
    {
        var first = dn.Split(',', 2)[0];
        var equals = first.IndexOf('=', StringComparison.Ordinal);
        return (equals < 0 ? first : first[(equals + 1)..]).Trim();
    }

    private List<string> Lookup(string user)
    {
        var at = user.IndexOf('@', StringComparison.Ordinal);
        var shortName = at < 0 ? user : user[..at];
        using var connection = Connect();

        // 2. The user.
        var filter = _options.UserFilter.Replace("{user}", Escape(shortName), StringComparison.Ordinal).Replace("{principal}", Escape(user), StringComparison.Ordinal);
        var found = Search(connection, _options.BaseDn!, filter, SearchScope.Subtree);
        if (found.Entries.Count == 0)
        {
            return [];
        }

        var entry = found.Entries[0];

        // 3 and 4. Its groups, and theirs.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<string>();
        foreach (var dn in GroupsOf(connection, entry, shortName))
        {
            if (seen.Add(dn))
            {
                queue.Enqueue(dn);
            }
        }

        while (_options.Nested && queue.Count > 0 && seen.Count < MaxGroups)
        {
            var group = queue.Dequeue();
            var groupEntry = Search(connection, group, "(objectClass=*)", SearchScope.Base);
            if (groupEntry.Entries.Count == 0)
            {
                continue;
            }

            foreach (var parent in GroupsOf(connection, groupEntry.Entries[0], NameOf(group)))
            {
                if (seen.Add(parent))
                {
                    queue.Enqueue(parent);
                }
            }
        }

        // 5. Names.
        return seen.Select(NameOf).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private IEnumerable<string> GroupsOf(LdapConnection connection, SearchResultEntry entry, string name)
    {
        if (!string.IsNullOrEmpty(_options.GroupAttribute) && entry.Attributes[_options.GroupAttribute] is { } attribute)
        {
            foreach (var value in attribute.GetValues(typeof(string)))
            {
                yield return (string)value;
            }
        }

        if (!string.IsNullOrEmpty(_options.GroupFilter))
        {
            var filter = _options.GroupFilter.Replace("{dn}", Escape(entry.DistinguishedName), StringComparison.Ordinal).Replace("{user}", Escape(name), StringComparison.Ordinal);
            foreach (SearchResultEntry group in Search(connection, _options.GroupBaseDn ?? _options.BaseDn!, filter, SearchScope.Subtree, "1.1").Entries)
            {
                yield return group.DistinguishedName;
            }
        }
    }

    private SearchResponse Search(LdapConnection connection, string baseDn, string filter, SearchScope scope, params string[] attributes)
    {
        string[] wanted = attributes.Length > 0 ? attributes : string.IsNullOrEmpty(_options.GroupAttribute) ? ["1.1"] : [_options.GroupAttribute];
        var request = new SearchRequest(baseDn, filter, scope, wanted) { SizeLimit = MaxGroups, TimeLimit = _timeout };
        try
        {
            return (SearchResponse)connection.SendRequest(request, _timeout);
        }
        catch (DirectoryOperationException ex) when (ex.Response?.ResultCode == ResultCode.NoSuchObject)
        {
            return (SearchResponse)ex.Response;
        }
    }

    private LdapConnection Connect()
    {
        // 1. Bind.
        var connection = new LdapConnection(new LdapDirectoryIdentifier(_server.Host, _server.Port, fullyQualifiedDnsHostName: false, connectionless: false))
        {
            AuthType = string.IsNullOrEmpty(_options.BindDn) ? AuthType.Anonymous : AuthType.Basic,
            Timeout = _timeout,
        };
        try
        {
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            if (_server.Secure)
            {
                connection.SessionOptions.SecureSocketLayer = true;
            }

            if (string.IsNullOrEmpty(_options.BindDn))
            {
                connection.Bind();
            }
            else
            {
                var password = _passwordPath is null ? string.Empty : File.ReadAllText(_passwordPath).TrimEnd('\r', '\n');
                connection.Bind(new NetworkCredential(_options.BindDn, password));
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
