namespace EgressGuard.Quarantine;

/// <summary>
/// Counts qualifying threat-feed denies per source in a sliding window and says when a source
/// reaches the threshold. Bounded: at most <see cref="QuarantineOptions.Threshold"/> timestamps per
/// source, sources idle for a window are pruned.
/// </summary>
internal sealed class QuarantineTrigger(QuarantineOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _recent = [];
    private DateTimeOffset _nextPrune;

    /// <summary>Whether a deny of <paramref name="category"/> counts at all.</summary>
    public bool Counts(string? category) =>
        options.Categories.Count == 0 || (category is not null && options.Categories.Contains(category, StringComparer.OrdinalIgnoreCase));

    /// <summary>Records one deny; true when this one reaches the threshold (the counter then starts over).</summary>
    public bool Record(IPAddress source)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (now >= _nextPrune)
            {
                _nextPrune = now + options.Window;
                foreach (var idle in _recent.Where(p => p.Value.Count == 0 || now - p.Value.Last() >= options.Window).Select(p => p.Key).ToList())
                {
                    _recent.Remove(idle);
                }
            }

            if (!_recent.TryGetValue(source, out var times))
            {
                _recent[source] = times = new Queue<DateTimeOffset>();
            }

            times.Enqueue(now);
            while (times.Count > 0 && now - times.Peek() >= options.Window)
            {
                times.Dequeue();
            }

            if (times.Count < options.Threshold)
            {
                return false;
            }

            times.Clear();
            return true;
        }
    }
}
