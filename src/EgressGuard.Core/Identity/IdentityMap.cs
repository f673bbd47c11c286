namespace EgressGuard.Identity;

/// <summary>
/// <c>Identity:Map</c>: address ranges to device or owner names, the most specific range first.
/// The file is checked for a change at most every two seconds (on use, through the
/// <see cref="TimeProvider"/>); an unreadable or invalid edit keeps the last good map.
/// </summary>
internal sealed partial class IdentityMap
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _reload = new();
    private volatile List<(IpRange Range, string Name)> _entries = [];
    private DateTime _write;
    private long _nextCheck;

    public IdentityMap(string path, TimeProvider time, ILogger logger)
    {
        _path = path;
        _time = time;
        _logger = logger;
        Reload();
    }

    public int Count => _entries.Count;

    /// <summary>The name of the most specific range holding <paramref name="address"/>, or null.</summary>
    public string? NameOf(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        var now = _time.GetTimestamp();
        if (now >= Interlocked.Read(ref _nextCheck))
        {
            Interlocked.Exchange(ref _nextCheck, now + (long)(CheckInterval.TotalSeconds * _time.TimestampFrequency));
            if (File.Exists(_path) && File.GetLastWriteTimeUtc(_path) != _write)
            {
                Reload();
            }
        }

        var canonical = AddressNormalizer.Canonicalize(address);
        var value = IpNumber.ToNumber(canonical);
        var isV4 = canonical.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        foreach (var (range, name) in _entries)
        {
            if (range.IsIPv4 == isV4 && range.First <= value && value <= range.Last)
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>Parses the map; entries most specific first, or every error with its line.</summary>
    public static (List<(IpRange Range, string Name)> Entries, List<string> Errors) Parse(string path, IEnumerable<string> lines)
    {
        var entries = new List<(IpRange Range, string Name)>();
        var errors = new List<string>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length < 2)
            {
                errors.Add($"{path}:{number}: expected 'CIDR NAME', got '{line}'");
                continue;
            }

            if (!IpNetworkParser.TryParse(parts[0], out var range, out _, out var error))
            {
                errors.Add($"{path}:{number}: '{parts[0]}': {error}");
                continue;
            }

            entries.Add((range, parts[1]));
        }

        entries.Sort((a, b) => (a.Range.Last - a.Range.First).CompareTo(b.Range.Last - b.Range.First));
        return (entries, errors);
    }

    private void Reload()
    {
        lock (_reload)
        {
            try
            {
                var write = File.GetLastWriteTimeUtc(_path);
                var (entries, errors) = Parse(_path, File.ReadAllLines(_path));
                _write = write;
                if (errors.Count > 0)
                {
                    LogRefused(_logger, _path, string.Join("; ", errors));
                    return;
                }

                _entries = entries;
                LogLoaded(_logger, _path, entries.Count);
            }
            catch (IOException ex)
            {
                LogRefused(_logger, _path, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Information, Message = "Identity map loaded from {Path}: {Count} ranges")]
    private static partial void LogLoaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 621, Level = LogLevel.Error, Message = "Identity map {Path} refused, keeping the previous map: {Errors}")]
    private static partial void LogRefused(ILogger logger, string path, string errors);
}
