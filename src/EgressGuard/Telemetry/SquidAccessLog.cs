namespace EgressGuard.Telemetry;

/// <summary>
/// One line in Squid's native access.log format, for SIEM parsers built for Squid:
/// <c>time.ms elapsed client code/status bytes method URL user hierarchy/peer type</c>, e.g.
/// <c>1732851234.567    123 10.1.2.3 TCP_TUNNEL/200 5423 CONNECT example.com:443 alice HIER_DIRECT/93.184.216.34 -</c>.
/// </summary>
internal static class SquidAccessLog
{
    public static string Format(ProxyExchange x)
    {
        var d = x.Decision;
        var code = d?.Action switch
        {
            DecisionAction.Deny => "TCP_DENIED",
            DecisionAction.Allow when x.Method == "CONNECT" => "TCP_TUNNEL",
            DecisionAction.Allow => "TCP_MISS",
            _ => x.ErrorType is Policy.DecisionReasons.UntrustedClient or Policy.DecisionReasons.AuthRequired or Policy.DecisionReasons.AuthThrottled ? "TCP_DENIED" : "NONE_NONE",
        };
        var url = d?.Target is { } target
            ? (x.Method == "CONNECT" ? $"{target.Host}:{target.Port}" : $"http://{target.Authority(80)}{x.Path}")
            : x.RawTarget ?? "-";
        var hierarchy = x.Dialed is { } dialed ? $"HIER_DIRECT/{dialed.Address}" : "HIER_NONE/-";
        var seconds = x.Time.ToUnixTimeMilliseconds() / 1000.0;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{seconds:F3} {(long)x.Duration.TotalMilliseconds,6} {x.Client?.Address.ToString() ?? "-"} {code}/{x.Status:D3} {x.BytesDown} {x.Method} {Safe(url, bytes: true)} {Safe(x.Identity.User, bytes: false) ?? "-"} {hierarchy} -");
    }

    /// <summary>
    /// Every byte that could split a field or reach a terminal is written as <c>%XX</c> (space,
    /// controls, DEL, anything over 0x7E), so a line always has its ten fields and only printable
    /// ASCII. With <paramref name="bytes"/> the text is the request's own bytes (heads are read as
    /// Latin-1: one character a byte); otherwise (user names, certificate subjects) characters are
    /// escaped as their UTF-8 bytes. <c>%</c> itself is kept: URLs arrive percent-encoded already
    /// and Squid's parsers expect them so.
    /// </summary>
    internal static string? Safe(string? text, bool bytes)
    {
        if (text is null || !text.Any(NeedsEscape))
        {
            return text;
        }

        var output = new System.Text.StringBuilder(text.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!NeedsEscape(c))
            {
                output.Append(c);
            }
            else if (bytes && c <= '\u00ff')
            {
                output.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                var length = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                    ? System.Text.Encoding.UTF8.GetBytes(text.AsSpan(i++, 2), utf8)
                    : System.Text.Encoding.UTF8.GetBytes(text.AsSpan(i, 1), utf8);
                foreach (var b in utf8[..length])
                {
                    output.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
        }

        return output.ToString();
    }

    private static bool NeedsEscape(char c) => c is <= ' ' or > '~';
}
