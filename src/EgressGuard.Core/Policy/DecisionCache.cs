namespace EgressGuard.Policy;

/// <summary>
/// Allowed and denied decisions by destination, valid while the policy version and the DNS answer
/// (the same cached resolution instance) are the ones they were made under: under both, the walk
/// would return an equal value, reason and matches included. Denies are kept too because a
/// beaconing client repeats the same denied destination; re-walking it cost ~1.5 KB and ~0.8 µs per
/// decision (DecisionBenchmarks, issue 17). Errors (DNS failures, missing feeds) are never kept:
/// they depend on more than these two. Bounded: cleared when it grows past its limit.
/// </summary>
internal sealed class DecisionCache
{
    private const int Limit = 50_000;

    private readonly ConcurrentDictionary<(string Host, int Port), Entry> _entries = new();

    public bool TryGet(Target target, long version, Resolution.Resolution? resolution, out Decision decision)
    {
        if (_entries.TryGetValue((target.Host, target.Port), out var entry) && entry.Version == version && ReferenceEquals(entry.Resolution, resolution))
        {
            decision = entry.Decision;
            return true;
        }

        decision = null!;
        return false;
    }

    public void Add(Target target, long version, Resolution.Resolution? resolution, Decision decision)
    {
        if (_entries.Count >= Limit)
        {
            _entries.Clear();
        }

        _entries[(target.Host, target.Port)] = new Entry(version, resolution, decision);
    }

    private sealed record Entry(long Version, Resolution.Resolution? Resolution, Decision Decision);
}
