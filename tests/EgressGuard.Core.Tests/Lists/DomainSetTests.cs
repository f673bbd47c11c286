using EgressGuard.Lists;

namespace EgressGuard.Tests.Lists;

public class DomainSetTests
{
    private static DomainSet Build(string text)
    {
        var (entries, errors) = DomainListParser.Parse(new StringReader(text), "domains.txt");
        Assert.Empty(errors);
        var builder = new DomainSet.Builder();
        foreach (var entry in entries)
        {
            builder.Add(entry, "list:domains");
        }

        return builder.Build();
    }

    [Theory]
    [InlineData("exact matches itself", "exact.test", true, "exact.test")]
    [InlineData("exact does not match sub", "a.exact.test", false, null)]
    [InlineData("star matches sub", "a.star.test", true, "*.star.test")]
    [InlineData("star matches deep sub", "x.y.star.test", true, "*.star.test")]
    [InlineData("star does not match apex", "star.test", false, null)]
    [InlineData("dot matches apex", "dot.test", true, ".dot.test")]
    [InlineData("dot matches sub", "a.dot.test", true, ".dot.test")]
    [InlineData("suffix is label-aligned", "notexact.test", false, null)]
    [InlineData("idn entry matched by punycode", "xn--bcher-kva.de", true, "xn--bcher-kva.de")]
    public void TryMatch_Patterns(string name, string query, bool matches, string? entry)
    {
        var set = Build("exact.test\n*.star.test\n.dot.test\nBÜCHER.de.\n");
        Assert.True(matches == set.TryMatch(query, out var match), name);
        if (matches)
        {
            Assert.Equal(entry, match.Entry);
            Assert.Equal("list:domains", match.Rule);
        }
    }

    [Fact]
    public void Parse_InvalidEntries_ReportedWithLineNumbers()
    {
        var (_, errors) = DomainListParser.Parse(new StringReader("ok.test\nbad*.test\n192.0.2.1\na..b\n"), "d.txt");
        Assert.Equal([2, 3, 4], errors.Select(e => e.Line));
    }
}
