using System.Globalization;
using EgressGuard.Policy;

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
            $"{seconds:F3} {(long)x.Duration.TotalMilliseconds,6} {x.Client?.Address.ToString() ?? "-"} {code}/{x.Status:D3} {x.BytesDown} {x.Method} {Safe(url)} {Safe(x.Identity.User) ?? "-"} {hierarchy} -");
    }

    private static string? Safe(string? text) =>
        text is null ? null : text.Replace(' ', '+').Replace('\n', '?').Replace('\r', '?');
}
