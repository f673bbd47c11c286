using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using EgressGuard.Addressing;
using Microsoft.Extensions.Logging;

namespace EgressGuard.Identity;

/// <summary>
/// Admits a client before anything else:
/// 1. its address must be in the trusted ranges (never an open relay);
/// 2. a client certificate (mTLS listener) already names it;
/// 3. a connection that completed Negotiate stays authenticated (RFC 4559 authenticates the
///    connection: a kept-alive connection needs no new token; a CONNECT authenticates its tunnel once);
/// 4. otherwise <c>Proxy-Authorization</c>: Negotiate (one Kerberos leg, see <see cref="NegotiateAcceptor"/>;
///    NTLM refused) or Basic (a user of the credentials file with the right password), as <c>Auth:Mode</c> allows.
/// PBKDF2 is slow on purpose, so a verified Basic header is cached (by its SHA-256, never the
/// header) for a few minutes; repeated failures from one address are throttled. The credentials
/// file is re-read when it changes on disk. Nothing here ever logs a header, a token or a password.
/// </summary>
internal sealed partial class ProxyAuthenticator
{
    private readonly AuthOptions _options;
    private readonly string? _usersPath;
    private readonly IReadOnlyList<IpRange> _trusted;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NegotiateAcceptor? _negotiate;
    private readonly DirectoryGroupCache? _directory;
    private readonly IdentityMap? _map;
    private readonly ConcurrentDictionary<string, (UserEntry User, long Expires)> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FailureWindow> _failures = new(StringComparer.Ordinal);
    private readonly Lock _reload = new();
    private Dictionary<string, UserEntry> _users = new(StringComparer.OrdinalIgnoreCase);
    private DateTime _usersWrite;

    /// <summary>The key of the per-connection state in a connection's items (Kestrel's <c>IConnectionItemsFeature</c>).</summary>
    internal static readonly object ConnectionKey = new();

    public ProxyAuthenticator(AuthOptions options, string? usersPath, IEnumerable<IpRange> trustedClients, TimeProvider time, ILogger logger, NegotiateAcceptor? negotiate = null, DirectoryGroupCache? directory = null, IdentityMap? map = null)
    {
        _map = map;
        _directory = directory;
        _negotiate = options.IsNegotiate ? negotiate ?? new NegotiateAcceptor() : null;
        _options = options;
        _usersPath = usersPath;
        _trusted = trustedClients.ToList();
        _time = time;
        _logger = logger;
        if (options.IsBasic)
        {
            ReloadIfChanged(force: true);
        }
    }

    public bool RequiresAuthentication => _options.RequiresAuthentication;

    /// <summary>
    /// The 407's <c>Proxy-Authenticate</c> value: Negotiate first when both are on, as one
    /// comma-separated header (RFC 9110 §11.6.1 allows several challenges in one field).
    /// </summary>
    public string Challenge => string.Join(", ", (_options.Schemes() ?? []).Select(s => s == "negotiate" ? "Negotiate" : $"Basic realm=\"{_options.Realm}\""));

    public int UserCount => _users.Count;

    /// <summary>
    /// Admits or refuses a client; <paramref name="proxyAuthorization"/> is the raw header value or null;
    /// <paramref name="connection"/> is the connection's item bag (where a Negotiate result lives for
    /// the connection's life), or null where one request is one connection (CONNECT).
    /// </summary>
    public (AdmissionResult Result, ClientIdentity Identity) Admit(System.Net.IPAddress? address, string? proxyAuthorization, ClientIdentity? certificateIdentity = null, IDictionary<object, object?>? connection = null)
    {
        var (result, identity) = AdmitCore(address, proxyAuthorization, certificateIdentity, connection);
        return _map?.NameOf(identity.Address ?? address) is { } device ? (result, identity with { Device = device }) : (result, identity);
    }

    private (AdmissionResult Result, ClientIdentity Identity) AdmitCore(System.Net.IPAddress? address, string? proxyAuthorization, ClientIdentity? certificateIdentity, IDictionary<object, object?>? connection)
    {
        // 1. Trusted ranges.
        var canonical = address is null ? null : AddressNormalizer.Canonicalize(address);
        var anonymous = certificateIdentity ?? new ClientIdentity(canonical);
        if (canonical is null || !IsTrustedCanonical(canonical))
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

        // 4. The header.
        var key = canonical.ToString();
        var now = _time.GetTimestamp();
        if (_failures.TryGetValue(key, out var window) && window.IsBlocked(now, _time, _options))
        {
            return (AdmissionResult.Throttled, anonymous);
        }

        var (user, groups, negotiated) = Authenticate(proxyAuthorization, key, now);
        if (user is null)
        {
            if (proxyAuthorization is not null)
            {
                connection?.Remove(ConnectionKey);
                var failures = _failures.GetOrAdd(key, _ => new FailureWindow()).Record(now, _time, _options);
                LogFailure(_logger, key, failures);
            }

            return (AdmissionResult.AuthenticationRequired, anonymous);
        }

        _failures.TryRemove(key, out _);
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

    /// <summary>The user and groups a header proves, or a null user.</summary>
    private (string? User, IReadOnlyList<string>? Groups, bool Negotiated) Authenticate(string? header, string client, long now)
    {
        if (header is null)
        {
            return (null, null, false);
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header : header[..space];
        if (scheme.Equals("Negotiate", StringComparison.OrdinalIgnoreCase) && _negotiate is not null)
        {
            var outcome = _negotiate.Accept(space < 0 ? string.Empty : header[(space + 1)..]);
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

                return (null, null, false);
            }

            return (outcome.User, null, true);
        }

        if (scheme.Equals("NTLM", StringComparison.OrdinalIgnoreCase))
        {
            LogNtlmRefused(_logger, client, "Proxy-Authorization: NTLM");
            return (null, null, false);
        }

        if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && _options.IsBasic)
        {
            var entry = Verify(header, now);
            return (entry?.Name, entry?.Groups, false);
        }

        return (null, null, false);
    }

    public bool IsTrusted(System.Net.IPAddress? address) => address is not null && IsTrustedCanonical(AddressNormalizer.Canonicalize(address));

    private bool IsTrustedCanonical(System.Net.IPAddress address)
    {
        var value = IpNumber.ToNumber(address);
        var isV4 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        foreach (var range in _trusted)
        {
            if (range.IsIPv4 == isV4 && range.First <= value && value <= range.Last)
            {
                return true;
            }
        }

        return false;
    }

    private UserEntry? Verify(string? header, long now)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var cacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header)));
        ReloadIfChanged(force: false);
        if (_verified.TryGetValue(cacheKey, out var cached) && now < cached.Expires && _users.TryGetValue(cached.User.Name, out var current) && ReferenceEquals(current, cached.User))
        {
            return cached.User;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !_users.TryGetValue(decoded[..colon], out var user) || !PasswordHasher.Verify(decoded[(colon + 1)..], user.Password))
        {
            return null;
        }

        _verified[cacheKey] = (user, now + (long)(_options.CacheTtl.TotalSeconds * _time.TimestampFrequency));
        return user;
    }

    private void ReloadIfChanged(bool force)
    {
        if (_usersPath is null)
        {
            return;
        }

        var write = File.Exists(_usersPath) ? File.GetLastWriteTimeUtc(_usersPath) : DateTime.MinValue;
        if (!force && write == _usersWrite)
        {
            return;
        }

        lock (_reload)
        {
            if (!force && write == _usersWrite)
            {
                return;
            }

            var (document, errors) = File.Exists(_usersPath) ? UsersFile.Load(_usersPath) : (new UsersDocument(), []);
            if (document is null)
            {
                LogUsersRefused(_logger, _usersPath, string.Join("; ", errors));
            }
            else
            {
                _users = document.Users.ToDictionary(u => u.Name, StringComparer.OrdinalIgnoreCase);
                _verified.Clear();
                LogUsersLoaded(_logger, _usersPath, _users.Count);
            }

            _usersWrite = write;
        }
    }

    /// <summary>What a connection that completed Negotiate keeps: who it is.</summary>
    private sealed record NegotiatedConnection(string User);

    private sealed class FailureWindow
    {
        private readonly Lock _gate = new();
        private long _start;
        private int _count;
        private long _blockedUntil;

        public int Record(long now, TimeProvider time, AuthOptions options)
        {
            lock (_gate)
            {
                if (time.GetElapsedTime(_start, now) > options.FailureWindow)
                {
                    _start = now;
                    _count = 0;
                }

                _count++;
                if (_count >= options.MaxFailures)
                {
                    _blockedUntil = now + (long)(options.FailureWindow.TotalSeconds * time.TimestampFrequency);
                }

                return _count;
            }
        }

        public bool IsBlocked(long now, TimeProvider time, AuthOptions options)
        {
            lock (_gate)
            {
                return now < _blockedUntil;
            }
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Proxy authentication failed from {Client} ({Failures} in the current window)")]
    private static partial void LogFailure(ILogger logger, string client, int failures);

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "Negotiate (Kerberos) proxy authentication failed from {Client}: {Failure} ({Detail}); the token is not logged")]
    private static partial void LogNegotiateFailed(ILogger logger, string client, NegotiateFailure failure, string detail);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "NTLM proxy authentication refused from {Client} ({Detail}): NTLM is deprecated and never accepted; the client needs a Kerberos ticket (kinit, or a domain logon) for the proxy's service principal")]
    private static partial void LogNtlmRefused(ILogger logger, string client, string detail);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Proxy users loaded from {Path}: {Count}")]
    private static partial void LogUsersLoaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "Proxy users file {Path} refused, keeping the previous users: {Errors}")]
    private static partial void LogUsersRefused(ILogger logger, string path, string errors);
}
