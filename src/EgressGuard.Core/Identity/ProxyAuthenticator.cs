using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using EgressGuard.Addressing;
using Microsoft.Extensions.Logging;

namespace EgressGuard.Identity;

/// <summary>
/// Admits a client before anything else: its address must be in the trusted ranges; with Basic
/// authentication on, <c>Proxy-Authorization</c> must name a user of the credentials file with the
/// right password. PBKDF2 is slow on purpose, so a verified header is cached (by its SHA-256, never
/// the header) for a few minutes; repeated failures from one address are throttled. The credentials
/// file is re-read when it changes on disk. Nothing here ever logs a header or a password.
/// </summary>
internal sealed partial class ProxyAuthenticator
{
    private readonly AuthOptions _options;
    private readonly string? _usersPath;
    private readonly IReadOnlyList<IpRange> _trusted;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (UserEntry User, long Expires)> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FailureWindow> _failures = new(StringComparer.Ordinal);
    private readonly Lock _reload = new();
    private Dictionary<string, UserEntry> _users = new(StringComparer.OrdinalIgnoreCase);
    private DateTime _usersWrite;

    public ProxyAuthenticator(AuthOptions options, string? usersPath, IEnumerable<IpRange> trustedClients, TimeProvider time, ILogger logger)
    {
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

    public bool RequiresAuthentication => _options.IsBasic;

    public string Challenge => $"Basic realm=\"{_options.Realm}\"";

    public int UserCount => _users.Count;

    /// <summary>Admits or refuses a client; <paramref name="proxyAuthorization"/> is the raw header value or null.</summary>
    public (AdmissionResult Result, ClientIdentity Identity) Admit(System.Net.IPAddress? address, string? proxyAuthorization, ClientIdentity? certificateIdentity = null)
    {
        var canonical = address is null ? null : AddressNormalizer.Canonicalize(address);
        var anonymous = certificateIdentity ?? new ClientIdentity(canonical);
        if (canonical is null || !IsTrustedCanonical(canonical))
        {
            return (AdmissionResult.UntrustedClient, anonymous);
        }

        // A client certificate (mTLS listener) already names the client.
        if (!_options.IsBasic || certificateIdentity?.User is not null)
        {
            return (AdmissionResult.Admitted, anonymous);
        }

        var key = canonical.ToString();
        var now = _time.GetTimestamp();
        if (_failures.TryGetValue(key, out var window) && window.IsBlocked(now, _time, _options))
        {
            return (AdmissionResult.Throttled, anonymous);
        }

        var user = Verify(proxyAuthorization, now);
        if (user is null)
        {
            if (proxyAuthorization is not null)
            {
                var failures = _failures.GetOrAdd(key, _ => new FailureWindow()).Record(now, _time, _options);
                LogFailure(_logger, key, failures);
            }

            return (AdmissionResult.AuthenticationRequired, anonymous);
        }

        _failures.TryRemove(key, out _);
        return (AdmissionResult.Admitted, new ClientIdentity(canonical, user.Name, user.Groups));
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

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Proxy users loaded from {Path}: {Count}")]
    private static partial void LogUsersLoaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "Proxy users file {Path} refused, keeping the previous users: {Errors}")]
    private static partial void LogUsersRefused(ILogger logger, string path, string errors);
}
