namespace EgressGuard.Identity;

/// <summary>
/// The users of the credentials file, re-read when its write time changes (a bad edit is logged and
/// the last good users kept), with a dummy hash for names that are not in it.
/// </summary>
internal sealed partial class ProxyUsers(string? path, ILogger logger)
{
    private readonly Lock _reload = new();
    private Snapshot _current = new(new Dictionary<string, UserEntry>(StringComparer.OrdinalIgnoreCase), PasswordHasher.Dummy(PasswordHasher.DefaultIterations));
    private DateTime _write;

    /// <summary>Raised after a successful reload (remembered credentials are then stale).</summary>
    public event Action? Reloaded;

    public int Count => _current.Users.Count;

    /// <summary>The users in force (one consistent snapshot per check).</summary>
    public Snapshot Current
    {
        get
        {
            ReloadIfChanged(force: false);
            return _current;
        }
    }

    public void ReloadIfChanged(bool force)
    {
        if (path is null)
        {
            return;
        }

        var write = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
        if (!force && write == _write)
        {
            return;
        }

        lock (_reload)
        {
            if (!force && write == _write)
            {
                return;
            }

            var (document, errors) = File.Exists(path) ? UsersFile.Load(path) : (new UsersDocument(), []);
            if (document is null)
            {
                LogUsersRefused(logger, path, string.Join("; ", errors));
            }
            else
            {
                var users = document.Users.ToDictionary(u => u.Name, StringComparer.OrdinalIgnoreCase);
                _current = new Snapshot(users, PasswordHasher.Dummy(TypicalIterations(users.Values)));
                Reloaded?.Invoke();
                LogUsersLoaded(logger, path, users.Count);
            }

            _write = write;
        }
    }

    /// <summary>
    /// The iteration count most of the file's hashes use: an unknown name is checked against a dummy
    /// hash of that cost, so a refusal takes as long for a wrong name as for a wrong password.
    /// </summary>
    private static int TypicalIterations(IEnumerable<UserEntry> users) =>
        users.Select(u => u.Password.Split('$'))
            .Select(parts => parts.Length == 4 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .Where(n => n > 0)
            .GroupBy(n => n)
            .OrderByDescending(g => g.Count())
            .Select(g => g.Key)
            .FirstOrDefault(PasswordHasher.DefaultIterations);

    /// <summary>One version of the file: the users by name (any case) and the dummy hash for other names.</summary>
    internal sealed record Snapshot(IReadOnlyDictionary<string, UserEntry> Users, string DummyHash);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Proxy users loaded from {Path}: {Count}")]
    private static partial void LogUsersLoaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "Proxy users file {Path} refused, keeping the previous users: {Errors}")]
    private static partial void LogUsersRefused(ILogger logger, string path, string errors);
}
