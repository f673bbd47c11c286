namespace EgressGuard.ThreatFeeds;

/// <summary>Checks the <c>Feeds</c> array and the <c>Hygiene</c> section, naming feed index, key and value.</summary>
internal static class FeedValidation
{
    public static void Validate(List<FeedOptions> feeds, HygieneOptions hygiene, ConfigPaths paths, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < feeds.Count; i++)
        {
            var feed = feeds[i];
            var key = $"Feeds:{i}";
            if (string.IsNullOrWhiteSpace(feed.Name) || feed.Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                errors.Add($"{key}:Name = '{feed.Name}': required; letters, digits, '-', '_' and '.' only");
            }
            else if (!names.Add(feed.Name))
            {
                errors.Add($"{key}:Name = '{feed.Name}': another feed has this name");
            }

            if (!FeedFormats.TryParse(feed.Format, out _))
            {
                errors.Add($"{key}:Format = '{feed.Format}': expected one of {string.Join(", ", FeedFormats.Names)}");
            }

            if (string.IsNullOrWhiteSpace(feed.Source))
            {
                errors.Add($"{key}:Source is empty: a file path or an http(s) URL");
            }
            else if (feed.Source.Contains("://", StringComparison.Ordinal) && !feed.IsUrl)
            {
                errors.Add($"{key}:Source = '{FeedSourceRedactor.Redact(feed.Source)}': only http:// and https:// URLs (or file paths)");
            }
            else if (feed.IsUrl && !Uri.TryCreate(feed.Source, UriKind.Absolute, out _))
            {
                errors.Add($"{key}:Source = '{FeedSourceRedactor.Redact(feed.Source)}': not a valid URL");
            }

            if (feed.Interval <= TimeSpan.Zero)
            {
                errors.Add($"{key}:Interval = '{feed.Interval}': must be a positive duration (hh:mm:ss)");
            }

            if (feed.Timeout <= TimeSpan.Zero)
            {
                errors.Add($"{key}:Timeout = '{feed.Timeout}': must be a positive duration");
            }

            if (feed.ShrinkGuard is < 0 or > 1)
            {
                errors.Add($"{key}:ShrinkGuard = '{feed.ShrinkGuard}': a share between 0 and 1 (0.5 = refuse a refresh that loses half the entries)");
            }

            if (feed.MinCount < 0)
            {
                errors.Add($"{key}:MinCount = '{feed.MinCount}': must not be negative");
            }

            if (feed.MaxBytes <= 0)
            {
                errors.Add($"{key}:MaxBytes = '{feed.MaxBytes}': must be positive");
            }

            if (feed.Mode is not ("enforce" or "report"))
            {
                errors.Add($"{key}:Mode = '{feed.Mode}': expected enforce or report");
            }
        }

        if (hygiene.MaxPrefixV4 is < 0 or > 32)
        {
            errors.Add($"Hygiene:MaxPrefixV4 = '{hygiene.MaxPrefixV4}': a prefix length 0-32");
        }

        if (hygiene.MaxPrefixV6 is < 0 or > 128)
        {
            errors.Add($"Hygiene:MaxPrefixV6 = '{hygiene.MaxPrefixV6}': a prefix length 0-128");
        }

        CheckRanges(hygiene.Exclude, "Hygiene:Exclude", errors);
        KnownGoodSet.Load(hygiene, paths, errors);
    }

    private static void CheckRanges(List<string> ranges, string key, List<string> errors)
    {
        for (var i = 0; i < ranges.Count; i++)
        {
            if (!IpNetworkParser.TryParse(ranges[i], out _, out _, out var error))
            {
                errors.Add($"{key}:{i} = '{ranges[i]}': {error}");
            }
        }
    }
}
