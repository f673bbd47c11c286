using EgressGuard.Files;
using EgressGuard.Storage;

namespace EgressGuard.Audit;

/// <summary>
/// Every change to the rules — who (the token's name), when, what, before and after — as JSON
/// lines in the audit file and as an <c>"event": "audit"</c> line in the decision log.
/// </summary>
internal sealed class AuditLog
{
    private readonly string _path;
    private readonly DecisionLog _decisionLog;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly UnixFileMode _mode;

    /// <param name="mode">The mode the file is created with (0600, or 0640 with <c>Log:GroupReadable</c>).</param>
    public AuditLog(string path, DecisionLog decisionLog, TimeProvider time, UnixFileMode mode = PrivateFile.OwnerOnly)
    {
        _mode = mode;
        _path = path;
        _decisionLog = decisionLog;
        _time = time;
    }

    public string Path => _path;

    /// <summary>
    /// Fleet mode: every entry is also sent to the shared audit trail (in the background, kept while
    /// the store is away), and the report reads the fleet's entries. Null on a single node.
    /// </summary>
    public IAuditReplica? Shared { get; set; }

    public void Record(string actor, string action, string? ruleId, object? before, object? after, long? version) =>
        Write(new Dictionary<string, object?>
        {
            ["actor"] = actor,
            ["action"] = action,
            ["rule"] = ruleId,
            ["rules_version"] = version,
            ["before"] = before,
            ["after"] = after,
        });

    /// <summary>A quarantine change: <c>quarantine.add</c>, <c>quarantine.extend</c>, <c>quarantine.release</c>.</summary>
    public void RecordQuarantine(string actor, string action, string address, object? before, object? after) =>
        Write(new Dictionary<string, object?>
        {
            ["actor"] = actor,
            ["action"] = action,
            ["client.address"] = address,
            ["before"] = before,
            ["after"] = after,
        });

    private void Write(Dictionary<string, object?> fields)
    {
        var entry = new LogEvent("audit", _time.GetUtcNow(), fields);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            entry.Write(json);
        }

        buffer.WriteByte((byte)'\n');
        lock (_gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
            using var file = PrivateFile.Open(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, _mode);
            file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            file.Flush(flushToDisk: true);
        }

        _decisionLog.WriteEvent(entry);
        Shared?.Append(entry.Time, Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length - 1));
    }

    /// <summary>The fleet's audit lines since <paramref name="from"/> in fleet mode (this node's file while the store is away), else this node's.</summary>
    public async Task<IReadOnlyList<string>> ReadAllAsync(DateTimeOffset from)
    {
        if (Shared is { } shared)
        {
            try
            {
                return await shared.ReadAsync(from).ConfigureAwait(false);
            }
            catch (StoreUnavailableException)
            {
            }
        }

        return ReadAll();
    }

    /// <summary>The audit lines, newest last (for tests and the API).</summary>
    public IReadOnlyList<string> ReadAll() =>
        File.Exists(_path) ? File.ReadAllLines(_path, Encoding.UTF8) : [];
}
