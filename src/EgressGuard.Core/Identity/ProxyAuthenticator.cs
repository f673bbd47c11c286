namespace EgressGuard.Identity;

/// <summary>
/// Admits a client before anything else:
/// 1. its address must be in the trusted ranges (never an open relay);
/// 2. a client certificate (mTLS listener) already names it;
/// 3. a connection that completed Negotiate stays authenticated (RFC 4559 authenticates the
///    connection: a kept-alive connection needs no new token; a CONNECT authenticates its tunnel once);
/// 4. an address over its failure budget is throttled (429) before its header is looked at;
/// 5. otherwise <c>Proxy-Authorization</c>: Negotiate (one Kerberos leg, see <see cref="NegotiateAcceptor"/>;
///    NTLM refused) or Basic (<see cref="BasicVerifier"/>: cached, counted before hashing, hashed off
///    the request thread within a cap), as <c>Auth:Mode</c> allows.
/// Nothing here ever logs a header, a token or a password.
/// </summary>
internal sealed partial class ProxyAuthenticator : IDisposable
{
    private readonly AuthOptions _options;
    private readonly TrustedRanges _trusted;
    private readonly ILogger _logger;
    private readonly NegotiateAcceptor? _negotiate;
    private readonly DirectoryGroupCache? _directory;
    private readonly IdentityMap? _map;
    private readonly ProxyUsers _users;
    private readonly VerifiedCredentials _verified;
    private readonly HashGate _gate;
    private readonly FailureThrottle _throttle;
    private readonly BasicVerifier _basic;

    /// <summary>The key of the per-connection state in a connection's items (Kestrel's <c>IConnectionItemsFeature</c>).</summary>
    internal static readonly object ConnectionKey = new();

    /// <param name="verify">The password check; <see cref="PasswordHasher.Verify"/> unless a test counts the calls.</param>
    public ProxyAuthenticator(AuthOptions options, string? usersPath, IEnumerable<IpRange> trustedClients, TimeProvider time, ILogger logger, NegotiateAcceptor? negotiate = null, DirectoryGroupCache? directory = null, IdentityMap? map = null, Func<string, string, bool>? verify = null)
    {
        _map = map;
        _directory = directory;
        _negotiate = options.IsNegotiate ? negotiate ?? new NegotiateAcceptor() : null;
        _options = options;
        _trusted = new TrustedRanges(trustedClients);
        _logger = logger;
        _users = new ProxyUsers(usersPath, logger);
        _verified = new VerifiedCredentials(options, time);
        _gate = new HashGate(options, time);
        _throttle = new FailureThrottle(options, time);
        _basic = new BasicVerifier(_users, _verified, _gate, _throttle, verify ?? PasswordHasher.Verify);
        Challenges = [.. (options.Schemes() ?? []).Select(s => s == "negotiate" ? "Negotiate" : $"Basic realm=\"{options.Realm}\"")];
        _users.Reloaded += _verified.Clear;
        if (options.IsBasic)
        {
            _users.ReloadIfChanged(force: true);
        }
    }

    public bool RequiresAuthentication => _options.RequiresAuthentication;

    /// <summary>
    /// The 407's challenges, one <c>Proxy-Authenticate</c> header each, Negotiate first when both are
    /// on. RFC 9110 §11.6.1 also allows them in one comma-separated field, but a client then has to
    /// split challenges at commas that may sit inside a quoted realm; one header per scheme is what
    /// Squid sends and what every client reads.
    /// </summary>
    public IReadOnlyList<string> Challenges { get; }

    public int UserCount => _users.Count;

    /// <summary>Credentials remembered after a successful check (bounded by <c>Auth:CacheSize</c>).</summary>
    internal int CachedCredentials => _verified.Count;

    /// <summary>
    /// Admits or refuses a client; <paramref name="proxyAuthorization"/> is the raw header value or null;
    /// <paramref name="connection"/> is the connection's item bag (where a Negotiate result lives for
    /// the connection's life), or null where one request is one connection (CONNECT).
    /// </summary>
    public async ValueTask<(AdmissionResult Result, ClientIdentity Identity)> AdmitAsync(System.Net.IPAddress? address, string? proxyAuthorization, ClientIdentity? certificateIdentity = null, IDictionary<object, object?>? connection = null, CancellationToken cancellationToken = default)
    {
        var (result, identity) = await AdmitCoreAsync(address, proxyAuthorization, certificateIdentity, connection, cancellationToken).ConfigureAwait(false);
        return _map?.NameOf(identity.Address ?? address) is { } device ? (result, identity with { Device = device }) : (result, identity);
    }

    public bool IsTrusted(System.Net.IPAddress? address) => address is not null && _trusted.Contains(AddressNormalizer.Canonicalize(address));

    private async ValueTask<(AdmissionResult Result, ClientIdentity Identity)> AdmitCoreAsync(System.Net.IPAddress? address, string? proxyAuthorization, ClientIdentity? certificateIdentity, IDictionary<object, object?>? connection, CancellationToken cancellationToken)
    {
        // 1. Trusted ranges.
        var canonical = address is null ? null : AddressNormalizer.Canonicalize(address);
        var anonymous = certificateIdentity ?? new ClientIdentity(canonical);
        if (canonical is null || !_trusted.Contains(canonical))
        {
            return (AdmissionResult.UntrustedClient, anonymous);
        }

        // 2. A client certificate (mTLS listener) already names the client.
        if (!_options.RequiresAuthentication || certificateIdentity?.User is not null)
        {
            return (AdmissionResult.Admitted, anonymous);
        }

        // 3. This connection already completed Negotiate.
        if (proxyAuthorization is null && connection is not null && connection.TryGetValue(ConnectionKey, out var state) && state is NegotiatedConnection established)
        {
            return (AdmissionResult.Admitted, Identify(canonical, established.User, null));
        }

        // 4. The throttle.
        var key = canonical.ToString();
        if (_throttle.IsBlocked(key))
        {
            return (AdmissionResult.Throttled, anonymous);
        }

        // 5. The header.
        if (proxyAuthorization is null)
        {
            return (AdmissionResult.AuthenticationRequired, anonymous);
        }

        var (user, groups, negotiated, result, ticket) = await AuthenticateAsync(proxyAuthorization, key, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            if (result == AdmissionResult.AuthenticationRequired)
            {
                connection?.Remove(ConnectionKey);
                LogFailure(_logger, key, _throttle.Fail(key, ticket));
            }
            else if (result == AdmissionResult.Busy)
            {
                LogBusy(_logger, key, _options.MaxConcurrentHashes, _options.HashQueueTimeout);
            }

            return (result, anonymous);
        }

        _throttle.Succeed(key, ticket);
        if (negotiated && connection is not null)
        {
            connection[ConnectionKey] = new NegotiatedConnection(user);
        }

        return (AdmissionResult.Admitted, Identify(canonical, user, groups));
    }

    /// <summary>
    /// The authenticated identity: the users file's groups plus the directory's (looked up per
    /// request from the cache, so that a long keep-alive connection follows group changes and an
    /// outage past its grace time fails closed).
    /// </summary>
    private ClientIdentity Identify(System.Net.IPAddress address, string user, IReadOnlyList<string>? groups)
    {
        if (_directory is null)
        {
            return new ClientIdentity(address, user, groups);
        }

        var directory = _directory.Get(user);
        IReadOnlyList<string> merged = groups is null or { Count: 0 } ? directory.Groups : groups.Concat(directory.Groups).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return new ClientIdentity(address, user, merged) { GroupsUnknown = directory.State == DirectoryGroupState.Unknown };
    }

    /// <summary>The user and groups a header proves, or a null user and why.</summary>
    private async ValueTask<(string? User, IReadOnlyList<string>? Groups, bool Negotiated, AdmissionResult Result, FailureWindow? Ticket)> AuthenticateAsync(string header, string client, CancellationToken cancellationToken)
    {
        var trimmed = header.TrimStart();
        var space = trimmed.IndexOfAny([' ', '\t']);
        var scheme = space < 0 ? trimmed : trimmed[..space];
        if (scheme.Equals("Negotiate", StringComparison.OrdinalIgnoreCase) && _negotiate is not null)
        {
            var outcome = _negotiate.Accept(space < 0 ? string.Empty : trimmed[(space + 1)..].Trim());
            if (outcome.User is null)
            {
                if (outcome.Failure == NegotiateFailure.Ntlm)
                {
                    LogNtlmRefused(_logger, client, outcome.Detail);
                }
                else
                {
                    LogNegotiateFailed(_logger, client, outcome.Failure, outcome.Detail);
                }

                return (null, null, false, AdmissionResult.AuthenticationRequired, null);
            }

            return (outcome.User, null, true, AdmissionResult.Admitted, null);
        }

        if (scheme.Equals("NTLM", StringComparison.OrdinalIgnoreCase))
        {
            LogNtlmRefused(_logger, client, "Proxy-Authorization: NTLM");
            return (null, null, false, AdmissionResult.AuthenticationRequired, null);
        }

        if (_options.IsBasic && BasicCredential.IsBasic(header))
        {
            var basic = await _basic.VerifyAsync(header, client, cancellationToken).ConfigureAwait(false);
            return (basic.User?.Name, basic.User?.Groups, false, basic.Result, basic.Ticket);
        }

        return (null, null, false, AdmissionResult.AuthenticationRequired, null);
    }

    public void Dispose()
    {
        _verified.Dispose();
        _gate.Dispose();
    }

    /// <summary>What a connection that completed Negotiate keeps: who it is.</summary>
    private sealed record NegotiatedConnection(string User);
}
