using EgressGuard.Lists;

namespace EgressGuard.Tests.Lists;

public class IpListParserTests
{
    [Fact]
    public void Parse_CommentsBlankCrlfBom_OnlyEntriesKept()
    {
        var text = "\uFEFF# header\r\n\r\n192.0.2.1\r\n  203.0.113.0/24   # inline\r\n; semicolon comment\r\n2001:db8::/32 ; SBL123\r\n198.51.100.7\tC2 server\r\n";
        var (entries, errors, warnings) = IpListParser.Parse(new StringReader(text), "bad.txt");
        Assert.Empty(errors);
        Assert.Empty(warnings);
        Assert.Equal(["192.0.2.1", "203.0.113.0/24", "2001:db8::/32", "198.51.100.7"], entries.Select(e => e.ToString()));
    }

    [Fact]
    public void Parse_InvalidLines_ReportedWithLineNumbers()
    {
        var text = "192.0.2.1\nnot-an-ip\n192.0.2.0/40\n10.1.2.3/8\n";
        var (entries, errors, warnings) = IpListParser.Parse(new StringReader(text), "bad.txt");
        Assert.Equal(2, entries.Count);
        Assert.Collection(
            errors,
            e => { Assert.Equal(2, e.Line); Assert.StartsWith("bad.txt:2: ", e.ToString()); },
            e => Assert.Equal(3, e.Line));
        var warning = Assert.Single(warnings);
        Assert.Equal(4, warning.Line);
    }
}
