using EgressGuard.Lists;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// What one parse of a feed produced: the entries, the feed's own metadata (source, version,
/// stated entry count, dates), and an account of what was skipped, with the first few problems
/// and their line numbers.
/// </summary>
internal sealed class FeedData
{
    public const int ProblemsKept = 10;

    public FeedData(string source) => Source = source;

    public string Source { get; }

    public FeedFormat Format { get; set; }

    public List<IpRange> Ranges { get; } = [];

    public List<DomainPattern> Domains { get; } = [];

    /// <summary>Header fields the feed states about itself (FireHOL <c>Version</c>, Spamhaus <c>Last-Modified</c>…).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Lines that carried an entry or tried to.</summary>
    public int ContentLines { get; set; }

    /// <summary>Lines that could not be read.</summary>
    public int Invalid { get; private set; }

    /// <summary>Entries kept but normalised (host bits set, mapped IPv6).</summary>
    public int Normalised { get; private set; }

    public List<ListProblem> Problems { get; } = [];

    public List<ListProblem> Warnings { get; } = [];

    public int EntryCount => Ranges.Count + Domains.Count;

    /// <summary>The feed's version for provenance: its stated version or last-update time.</summary>
    public string? Version =>
        Metadata.TryGetValue("Version", out var v) ? v
        : Metadata.TryGetValue("Last-Modified", out v) ? v
        : Metadata.TryGetValue("Updated", out v) ? v
        : null;

    public void AddProblem(int line, string message)
    {
        Invalid++;
        if (Problems.Count < ProblemsKept)
        {
            Problems.Add(new ListProblem(Source, line, message));
        }
    }

    public void AddWarning(int line, string message)
    {
        Normalised++;
        if (Warnings.Count < ProblemsKept)
        {
            Warnings.Add(new ListProblem(Source, line, message));
        }
    }

    /// <summary>Parses one address entry, counting it as content and recording the outcome.</summary>
    public void AddAddress(ReadOnlySpan<char> token, int line)
    {
        ContentLines++;
        if (IpNetworkParser.TryParse(token, out var range, out var warning, out var error))
        {
            Ranges.Add(range);
            if (warning is not null)
            {
                AddWarning(line, warning);
            }
        }
        else
        {
            AddProblem(line, error!);
        }
    }

    /// <summary>Parses one domain entry, counting it as content and recording the outcome.</summary>
    public void AddDomain(string token, int line)
    {
        ContentLines++;
        if (DomainPattern.TryParse(token, out var pattern, out var error))
        {
            Domains.Add(pattern);
        }
        else
        {
            AddProblem(line, error);
        }
    }
}
