using EgressGuard.Files;

namespace EgressGuard.Quarantine;

/// <summary>
/// The quarantined sources, persisted to <c>Data:Directory/quarantine.json</c> (written atomically
/// on every change) so that a restart keeps them contained. Reads are lock-free snapshots; an
/// expired entry simply stops applying and is dropped at the next change.
/// </summary>
internal sealed class QuarantineStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private volatile Dictionary<IPAddress, QuarantineEntry> _entries = [];

    public QuarantineStore(string path, Remediation remediation, TimeProvider time)
    {
        _path = path;
        Remediation = remediation;
        _time = time;
    }

    public Remediation Remediation { get; }

    /// <summary>Raised after a source is quarantined: its live tunnels must go.</summary>
    public event Action<QuarantineEntry>? Quarantined;

    /// <summary>Raised when the state could not be written to disk (it still applies in memory).</summary>
    public event Action<string>? SaveFailed;

    /// <summary>Loads the file; returns the active entries restored, or an error for an unreadable file (kept aside, never lost).</summary>
    public (int Restored, string? Error) Load()
    {
        if (!File.Exists(_path))
        {
            return (0, null);
        }

        try
        {
            var stored = JsonSerializer.Deserialize<List<Stored?>>(File.ReadAllText(_path)) ?? [];
            var now = _time.GetUtcNow();
            // Rows that cannot be read are skipped; one address twice keeps the later end.
            var entries = stored
                .Where(s => s is not null && IPAddress.TryParse(s.Address, out _))
                .Select(s => new QuarantineEntry(AddressNormalizer.Canonicalize(IPAddress.Parse(s!.Address!)), s.Reason ?? "quarantined", s.Since, s.Until, s.By ?? "unknown") { AlertId = s.AlertId })
                .Where(e => e.IsActive(now))
                .GroupBy(e => e.Address)
                .ToDictionary(g => g.Key, g => g.MaxBy(e => e.Until)!);
            _entries = entries;
            return (entries.Count, null);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            var aside = _path + ".unreadable-" + _time.GetUtcNow().ToUnixTimeSeconds();
            File.Move(_path, aside);
            return (0, $"{_path}: {ex.Message} (moved to {aside})");
        }
    }

    public bool TryGet(IPAddress address, out QuarantineEntry entry)
    {
        // Asked for every allowed request: with nobody quarantined (the usual case) it costs one read.
        var entries = _entries;
        if (entries.Count > 0 && entries.TryGetValue(AddressNormalizer.Canonicalize(address), out entry!) && entry.IsActive(_time.GetUtcNow()))
        {
            return true;
        }

        entry = null!;
        return false;
    }

    public IReadOnlyList<QuarantineEntry> Active()
    {
        var now = _time.GetUtcNow();
        return _entries.Values.Where(e => e.IsActive(now)).OrderBy(e => e.Since).ToList();
    }

    /// <summary>Quarantines <paramref name="address"/> until <paramref name="until"/> (replacing any entry).</summary>
    public QuarantineEntry Quarantine(IPAddress address, DateTimeOffset until, string reason, string by, string? alertId = null)
    {
        var now = _time.GetUtcNow();
        var entry = new QuarantineEntry(AddressNormalizer.Canonicalize(address), reason, now, until, by) { AlertId = alertId };
        Change(entries => entries[entry.Address] = entry);
        Quarantined?.Invoke(entry);
        return entry;
    }

    /// <summary>Moves the end of an active quarantine; null when the source is not quarantined.</summary>
    public QuarantineEntry? Extend(IPAddress address, DateTimeOffset until, string by)
    {
        if (!TryGet(address, out var current))
        {
            return null;
        }

        var entry = current with { Until = until, By = $"{current.By}, extended by {by}" };
        Change(entries => entries[entry.Address] = entry);
        return entry;
    }

    /// <summary>Ends a quarantine; returns the entry released, or null when there was none.</summary>
    public QuarantineEntry? Release(IPAddress address)
    {
        if (!TryGet(address, out var current))
        {
            return null;
        }

        Change(entries => entries.Remove(current.Address));
        return current;
    }

    /// <summary>
    /// Replaces every entry with the fleet's (the shared store's active quarantines). Sources new to
    /// this node raise <see cref="Quarantined"/>, so their live tunnels here are cut too.
    /// </summary>
    public void ReplaceAll(IEnumerable<QuarantineEntry> entries)
    {
        var now = _time.GetUtcNow();
        var next = entries.Where(e => e.IsActive(now))
            .Select(e => e with { Address = AddressNormalizer.Canonicalize(e.Address) })
            .GroupBy(e => e.Address)
            .ToDictionary(g => g.Key, g => g.MaxBy(e => e.Until)!);
        List<QuarantineEntry> added;
        lock (_gate)
        {
            var before = _entries;
            added = next.Values.Where(e => !before.TryGetValue(e.Address, out var old) || !old.IsActive(now)).ToList();
            _entries = next;
            try
            {
                Save(next.Values);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SaveFailed?.Invoke($"{_path}: {ex.Message}");
            }
        }

        foreach (var entry in added)
        {
            Quarantined?.Invoke(entry);
        }
    }

    private void Change(Action<Dictionary<IPAddress, QuarantineEntry>> edit)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var next = _entries.Values.Where(e => e.IsActive(now)).ToDictionary(e => e.Address);
            edit(next);
            // In force first: a full or read-only disk must not leave a source uncontained.
            _entries = next;
            try
            {
                Save(next.Values);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SaveFailed?.Invoke($"{_path}: {ex.Message}");
            }
        }
    }

    private void Save(IEnumerable<QuarantineEntry> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        PrivateFile.WriteAllText(_path, JsonSerializer.Serialize(entries.Select(e => new Stored(e.Address.ToString(), e.Reason, e.Since, e.Until, e.By, e.AlertId)).ToList(), Json));
    }

    private sealed record Stored(string? Address, string? Reason, DateTimeOffset Since, DateTimeOffset Until, string? By, string? AlertId);
}
