using System.Net;
using EgressGuard.ThreatFeeds;

namespace EgressGuard.Tests.ThreatFeeds;

/// <summary>Every format against the real samples from ../shared/feeds (copied to TestData/feeds, see SOURCES.md there).</summary>
public class FeedParserTests
{
    private static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "feeds", name));

    private static FeedData Parse(string name, FeedFormat format, int minCount = 1) => FeedParser.Parse(Sample(name), format, name, minCount);

    [Theory]
    [InlineData("feodo_ipblocklist.csv", "feodo-csv", 28, 0)]
    [InlineData("firehol_level1.netset", "firehol", 301, 0)]
    [InlineData("firehol_ciarmy.ipset", "firehol", 303, 0)]
    [InlineData("spamhaus_drop_txt_reconstructed_from_json_2025.txt", "spamhaus-drop", 250, 0)]
    [InlineData("spamhaus_drop_v4_head.json", "spamhaus-drop-json", 250, 0)]
    [InlineData("spamhaus_dropv6_cidronly_2024.txt", "plain", 51, 0)]
    [InlineData("spamhaus_edrop_merged_2024.txt", "spamhaus-drop", 0, 0)]
    [InlineData("sslbl_sslipblacklist_deprecated_2025.txt", "feodo", 0, 0)]
    [InlineData("et_compromised_ips_cps.txt", "plain", 539, 0)]
    [InlineData("ipsum_levels_3.txt", "plain", 200, 0)]
    [InlineData("tor_exit_addresses_2024_excerpt.txt", "tor-exit", 3, 0)]
    [InlineData("tor_exit_cps.txt", "plain", 300, 0)]
    [InlineData("urlhaus_hostfile_2020_excerpt.txt", "hosts", 5, 0)]
    public void Parse_RealSample_EntriesCounted(string file, string formatName, int entries, int invalid)
    {
        Assert.True(FeedFormats.TryParse(formatName, out var format));
        var data = Parse(file, format);
        Assert.Equal(entries, data.EntryCount);
        Assert.Equal(invalid, data.Invalid);
    }

    [Fact]
    public void Parse_FireHol_KeepsHeaderMetadata()
    {
        var data = Parse("firehol_level1.netset", FeedFormat.FireHol);
        Assert.Equal("25992", data.Metadata["Version"]);
        Assert.StartsWith("2892", data.Metadata["Entries"]);
        Assert.Equal("attacks", data.Metadata["Category"]);
        Assert.Equal("25992", data.Version);
        Assert.Contains(data.Ranges, r => r.ToString() == "10.0.0.0/8");
    }

    [Fact]
    public void Parse_SpamhausDrop_CidrAndExpiresHeader()
    {
        var data = Parse("spamhaus_drop_txt_reconstructed_from_json_2025.txt", FeedFormat.SpamhausDrop);
        Assert.Equal("1.10.16.0/20", data.Ranges[0].ToString());
        Assert.StartsWith("Wed, 16 Apr 2025", data.Metadata["Expires"]);
        Assert.StartsWith("Tue, 15 Apr 2025", data.Version);
    }

    [Fact]
    public void Parse_SpamhausJson_MetadataLine()
    {
        var data = Parse("spamhaus_drop_v4_head.json", FeedFormat.SpamhausDropJson);
        Assert.Equal("1406", data.Metadata["Entries"]);
        Assert.StartsWith("2025-04-15", data.Version);
    }

    [Fact]
    public void Parse_IpSum_MinCountFilters()
    {
        var all = Parse("ipsum.txt", FeedFormat.IpSum);
        var three = Parse("ipsum.txt", FeedFormat.IpSum, minCount: 3);
        Assert.Equal(250, all.EntryCount);
        Assert.True(three.EntryCount is > 0 and < 250, three.EntryCount.ToString());
        Assert.DoesNotContain(three.Ranges, r => r.ToString() == "23.224.4.114");
        Assert.Contains(three.Ranges, r => r.ToString() == "77.90.185.20");
    }

    [Fact]
    public void Parse_Hosts_SkipsLocalhostBlockAndKeepsIpLikeNames()
    {
        var data = Parse("stevenblack_hosts_2017_head.txt", FeedFormat.Hosts);
        var names = data.Domains.Select(d => d.Name).ToList();
        Assert.DoesNotContain("localhost", names);
        Assert.DoesNotContain("broadcasthost", names);
        Assert.Contains("lb.usemaxserver.de", names);
        Assert.Contains("192.168.112.2o7.net", names);
        Assert.Equal(0, data.Invalid);
    }

    [Fact]
    public void Parse_FeodoJson_IpAddressField()
    {
        const string json = """
            [
              {"ip_address":"203.0.113.10","port":443,"status":"online","hostname":null,"as_number":64500,"as_name":"EXAMPLE","country":"XX","first_seen":"2024-01-01 00:00:00","last_online":"2024-04-01","malware":"QakBot"},
              {"ip_address":"198.51.100.20","port":8080,"status":"offline","malware":"Emotet"}
            ]
            """;
        var data = FeedParser.Parse(json, FeedFormat.FeodoJson, "feodo.json");
        Assert.Equal(["203.0.113.10", "198.51.100.20"], data.Ranges.Select(r => r.ToString()));
    }

    [Fact]
    public void Parse_TorExitAddresses_OnlyExitAddressLines()
    {
        var data = Parse("tor_exit_addresses_2024_excerpt.txt", FeedFormat.TorExit);
        Assert.Contains(data.Ranges, r => r.ToString() == "185.241.208.231");
        Assert.Equal("2024-01-30 13:02:00", data.Metadata["Updated"]);
    }

    [Fact]
    public void Parse_EdgeForms_NormalisedWithWarnings()
    {
        const string text = "\uFEFF# edge cases\r\n10.1.2.3/8\r\n192.0.2.10-192.0.2.20 ; range\r\n198.51.100.0/255.255.255.0\r\n::ffff:203.0.113.0/120\r\n\r\n2001:db8::/32 # inline\r\n";
        var data = FeedParser.Parse(text, FeedFormat.Plain, "edge.txt");
        Assert.Equal(["10.0.0.0/8", "192.0.2.10-192.0.2.20", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"], data.Ranges.Select(r => r.ToString()));
        Assert.Equal(1, data.Normalised);
        Assert.Equal(2, data.Warnings[0].Line);
    }

    [Fact]
    public void Parse_SomeBadLines_CountedFirstFewReportedWithLineNumbers()
    {
        var lines = Enumerable.Range(1, 100).Select(i => $"192.0.2.{i}").ToList();
        lines.Insert(10, "garbage");
        lines.Insert(50, "999.1.1.1");
        var data = FeedParser.Parse(string.Join('\n', lines), FeedFormat.Plain, "some-bad.txt");
        Assert.Equal(100, data.EntryCount);
        Assert.Equal(2, data.Invalid);
        Assert.Equal([11, 51], data.Problems.Select(p => p.Line));
    }

    [Theory]
    [InlineData("html error page", "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")]
    [InlineData("login page without doctype", "\n  <html>\n<form action=/login>\n</form>\n</html>")]
    [InlineData("mostly garbage", "Please log in to continue\nUsername:\nPassword:\n192.0.2.1\nSubmit\n")]
    public void Parse_NotAFeed_RejectedAsAWhole(string name, string text)
    {
        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(text, FeedFormat.Plain, "bad.txt"));
        Assert.False(string.IsNullOrEmpty(ex.Message), name);
    }

    [Fact]
    public void Parse_FeodoJsonNotJson_Rejected() =>
        Assert.Throws<FeedRejectedException>(() => FeedParser.Parse("[{\"ip_address\": ", FeedFormat.FeodoJson, "f.json"));

    [Theory]
    [InlineData("feodo_ipblocklist.csv", "FeodoCsv")]
    [InlineData("firehol_level1.netset", "FireHol")]
    [InlineData("spamhaus_drop_txt_reconstructed_from_json_2025.txt", "SpamhausDrop")]
    [InlineData("spamhaus_drop_v4_head.json", "SpamhausDropJson")]
    [InlineData("ipsum.txt", "IpSum")]
    [InlineData("tor_exit_addresses_2024_excerpt.txt", "TorExit")]
    [InlineData("stevenblack_hosts_2017_head.txt", "Hosts")]
    [InlineData("urlhaus_hostfile_2020_excerpt.txt", "Hosts")]
    [InlineData("et_compromised_ips_cps.txt", "Plain")]
    [InlineData("spamhaus_dropv6_cidronly_2024.txt", "Plain")]
    public void Detect_RealSamples_RightFormat(string file, string expected) =>
        Assert.Equal(Enum.Parse<FeedFormat>(expected), FeedSniffer.Detect(Sample(file)));

    [Fact]
    public void Detect_DomainList_Domains() =>
        Assert.Equal(FeedFormat.Domains, FeedSniffer.Detect("# bad names\nevil.example\n*.c2.example\nx.test\n"));

    [Fact]
    public void Parse_Auto_RecordsChosenFormat()
    {
        var data = FeedParser.Parse(Sample("feodo_ipblocklist.csv"), FeedFormat.Auto, "feodo");
        Assert.Equal(FeedFormat.FeodoCsv, data.Format);
        Assert.Contains(data.Ranges, r => r.ToString() == "192.9.135.73");
        Assert.Equal(IPAddress.Parse("192.9.135.73").ToString(), data.Ranges[0].ToString());
    }
}
