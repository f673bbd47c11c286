namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Feed hygiene: an egress proxy must not block its own network because a feed lists bogons
/// (FireHOL level1 carries 10/8, 192.168/16, 127/8, 224/3 on purpose). Entries wholly inside a
/// non-public or excluded range are dropped, entries overlapping one are trimmed around it, and
/// entries wider than the configured prefix are dropped. Entries covering a known-good address
/// (public resolvers) are counted as probable false positives and dropped (<c>Hygiene:DropKnownGood</c>,
/// default on): that check runs for every feed, even one whose own <c>Hygiene</c> is off.
/// </summary>
internal sealed class FeedHygiene
{
    private readonly IpRange[] _nonPublic;
    private readonly IpRange[] _excluded;
    private readonly IpRange[] _knownGoodV4;
    private readonly IpRange[] _knownGoodV6;
    private readonly HygieneOptions _options;

    public FeedHygiene(HygieneOptions options, IEnumerable<IpRange> excluded, IEnumerable<IpRange> knownGood)
    {
        _options = options;
        _nonPublic = NonPublicRanges.All.Select(r => IpNetworkParser.Parse(r.Cidr)).ToArray();
        _excluded = excluded.ToArray();
        var good = knownGood.ToList();
        _knownGoodV4 = Merge(good.Where(r => r.IsIPv4));
        _knownGoodV6 = Merge(good.Where(r => !r.IsIPv4));
    }

    /// <param name="full">The feed's own <c>Hygiene</c>: false checks known-good addresses only.</param>
    public (List<IpRange> Kept, HygieneReport Report) Apply(IReadOnlyList<IpRange> ranges, bool full = true)
    {
        var kept = new List<IpRange>(ranges.Count);
        int nonPublic = 0, excluded = 0, tooWide = 0, trimmed = 0, knownGood = 0, droppedKnownGood = 0;
        var samples = new List<string>();
        var pieces = new List<IpRange>();
        foreach (var range in ranges)
        {
            if (!full)
            {
                if (CoversKnownGood(range, out var covered))
                {
                    knownGood++;
                    Sample(samples, range, covered);
                    if (_options.DropKnownGood)
                    {
                        droppedKnownGood++;
                        continue;
                    }
                }

                kept.Add(range);
                continue;
            }

            if (IsTooWide(range))
            {
                tooWide++;
                continue;
            }

            pieces.Clear();
            pieces.Add(range);
            var cutByNonPublic = Subtract(pieces, _nonPublic);
            var cutByExcluded = Subtract(pieces, _excluded);
            if (pieces.Count == 0)
            {
                if (cutByExcluded)
                {
                    excluded++;
                }
                else
                {
                    nonPublic++;
                }

                continue;
            }

            if (cutByNonPublic || cutByExcluded)
            {
                trimmed++;
            }

            if (CoversKnownGood(range, out var good))
            {
                knownGood++;
                Sample(samples, range, good);
                if (_options.DropKnownGood)
                {
                    droppedKnownGood++;
                    continue;
                }
            }

            kept.AddRange(pieces);
        }

        return (kept, new HygieneReport(nonPublic, excluded, tooWide, trimmed, knownGood, samples, droppedKnownGood));
    }

    private static void Sample(List<string> samples, IpRange range, string good)
    {
        if (samples.Count < 5)
        {
            samples.Add($"{range} covers {good}");
        }
    }

    private bool IsTooWide(IpRange range)
    {
        var bits = range.IsIPv4 ? 32 : 128;
        var maxPrefix = range.IsIPv4 ? _options.MaxPrefixV4 : _options.MaxPrefixV6;
        var size = range.Last - range.First;
        if (size == UInt128.MaxValue)
        {
            return true;
        }

        // Wider than a /maxPrefix block.
        var allowed = (UInt128.One << (bits - maxPrefix)) - 1;
        return size > allowed;
    }

    /// <summary>Whether the range overlaps a known-good range: one binary search over merged, sorted ranges.</summary>
    private bool CoversKnownGood(IpRange range, out string good)
    {
        good = string.Empty;
        var known = range.IsIPv4 ? _knownGoodV4 : _knownGoodV6;
        int lo = 0, hi = known.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (known[mid].Last >= range.First)
            {
                found = mid;
                hi = mid - 1;
            }
            else
            {
                lo = mid + 1;
            }
        }

        if (found < 0 || known[found].First > range.Last)
        {
            return false;
        }

        good = known[found].ToString();
        return true;
    }

    private static IpRange[] Merge(IEnumerable<IpRange> ranges)
    {
        var merged = new List<IpRange>();
        foreach (var r in ranges.OrderBy(r => r.First))
        {
            if (merged.Count > 0 && merged[^1].Last != UInt128.MaxValue && r.First <= merged[^1].Last + 1)
            {
                if (r.Last > merged[^1].Last)
                {
                    merged[^1] = merged[^1] with { Last = r.Last };
                }
            }
            else
            {
                merged.Add(r);
            }
        }

        return [.. merged];
    }

    /// <summary>Removes <paramref name="cuts"/> from every piece; true when anything was removed.</summary>
    private static bool Subtract(List<IpRange> pieces, IpRange[] cuts)
    {
        var changed = false;
        foreach (var cut in cuts)
        {
            for (var i = pieces.Count - 1; i >= 0; i--)
            {
                var piece = pieces[i];
                if (piece.IsIPv4 != cut.IsIPv4 || piece.Last < cut.First || cut.Last < piece.First)
                {
                    continue;
                }

                changed = true;
                pieces.RemoveAt(i);
                if (piece.First < cut.First)
                {
                    pieces.Add(piece with { Last = cut.First - 1 });
                }

                if (cut.Last < piece.Last)
                {
                    pieces.Add(piece with { First = cut.Last + 1 });
                }
            }
        }

        return changed;
    }
}
