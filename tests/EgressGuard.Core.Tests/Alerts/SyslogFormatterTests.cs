using System.Net;
using System.Text.RegularExpressions;
using EgressGuard.Alerts;

namespace EgressGuard.Tests.Alerts;

public sealed class SyslogFormatterTests
{
    private static readonly Alert Sample = new()
    {
        Id = "a-20261129-0f3a9c2e",
        Kind = "threat-feed",
        SourceAddress = IPAddress.Parse("10.1.2.3"),
        User = "alice",
        Destination = "c2.example",
        Port = 443,
        ResolvedAddresses = [IPAddress.Parse("203.0.113.9"), IPAddress.Parse("203.0.113.10")],
        Rule = "feed:feodo",
        Entry = "203.0.113.9",
        Feed = "feodo",
        Category = "c2",
        TraceId = "0af7651916cd43dd8448eb211c80319c",
        FirstSeen = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero),
        LastSeen = new DateTimeOffset(2026, 11, 29, 9, 0, 1, 250, TimeSpan.Zero),
    };

    [Fact]
    public void Format_Alert_Rfc5424WithStructuredData()
    {
        var message = SyslogFormatter.Format(Sample, facility: 16, hostName: "proxy-1", appName: "egressguard", processId: 4242);

        // <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP BOM MSG
        var match = Regex.Match(message, @"^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) (\[.*\]) \uFEFF(.*)$");
        Assert.True(match.Success, message);
        Assert.Equal("132", match.Groups[1].Value);  // local0 (16) * 8 + warning (4)
        Assert.Equal("2026-11-29T09:00:01.250Z", match.Groups[2].Value);
        Assert.Equal("proxy-1", match.Groups[3].Value);
        Assert.Equal("egressguard", match.Groups[4].Value);
        Assert.Equal("4242", match.Groups[5].Value);
        Assert.Equal("alert", match.Groups[6].Value);
        Assert.StartsWith("[egressguard@32473 id=\"a-20261129-0f3a9c2e\" kind=\"threat-feed\" src=\"10.1.2.3\" user=\"alice\" dst=\"c2.example\" dstPort=\"443\" dstAddresses=\"203.0.113.9,203.0.113.10\" rule=\"feed:feodo\"", match.Groups[7].Value);
        Assert.StartsWith("EgressGuard alert: 10.1.2.3 (alice) tried c2.example:443", match.Groups[8].Value);
    }

    [Fact]
    public void Format_SpecialCharactersInValues_EscapedPerRfc()
    {
        var message = SyslogFormatter.Format(Sample with { User = "a\"b]c\\d" }, 16, "host name with spaces", "", 1);

        Assert.Contains("user=\"a\\\"b\\]c\\\\d\"", message);
        Assert.Contains(" hostnamewithspaces - 1 alert ", message);
    }
}

public sealed class WebhookSignatureTests
{
    [Fact]
    public void Compute_KnownVector_MatchesIndependentHmac()
    {
        // python3: hmac.new(b"s3cret", b'1764400000.{"a":1}', hashlib.sha256).hexdigest()
        Assert.Equal(
            "sha256=4318aee0225b1c145d2bd53b93ffdb87f0db001d460c419fb16bc06d77248696",
            WebhookSignature.Compute("s3cret", 1764400000, """{"a":1}"""u8));
    }
}
