using EgressGuard.ThreatFeeds.Formats;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Parses feed text in any <see cref="FeedFormat"/>. Each format reads only what it defines and
/// skips the rest; <see cref="FeedFormat.Auto"/> sniffs the format first. A text that looks like
/// HTML, is not valid JSON for a JSON format, or whose content lines are mostly unreadable is
/// rejected as a whole: a login page must never replace a feed.
/// </summary>
internal static class FeedParser
{
    public static FeedData Parse(string text, FeedFormat format, string source, int minCount = 1)
    {
        var data = new FeedData(source);
        var trimmed = text.AsSpan().TrimStart().TrimStart('\uFEFF');
        if (trimmed.StartsWith("<"))
        {
            throw new FeedRejectedException($"{source}: looks like an HTML or XML page, not a feed");
        }

        data.Format = format == FeedFormat.Auto ? FeedSniffer.Detect(text) : format;
        switch (data.Format)
        {
            case FeedFormat.SpamhausDropJson:
                SpamhausDropJsonParser.Parse(text, data);
                break;
            case FeedFormat.FeodoJson:
                FeodoJsonParser.Parse(text, data);
                break;
            case FeedFormat.FeodoCsv:
                FeodoCsvParser.Parse(text, data);
                break;
            case FeedFormat.IpSum:
                IpSumParser.Parse(text, data, minCount);
                break;
            case FeedFormat.TorExit:
                TorExitParser.Parse(text, data);
                break;
            case FeedFormat.Hosts:
                HostsParser.Parse(text, data);
                break;
            case FeedFormat.Domains:
                FeedLines.ForEachToken(text, data, (token, line) => data.AddDomain(token.ToString(), line));
                break;
            default:
                // plain, firehol, spamhaus-drop, feodo: one entry per line, '#'/';' comments.
                FeedLines.ForEachToken(text, data, (token, line) => data.AddAddress(token, line));
                break;
        }

        if (data.ContentLines >= 3 && data.Invalid * 2 > data.ContentLines)
        {
            throw new FeedRejectedException(
                $"{source}: {data.Invalid} of {data.ContentLines} lines are not {FeedFormats.Name(data.Format)} entries (first: {data.Problems.FirstOrDefault()})");
        }

        return data;
    }
}
