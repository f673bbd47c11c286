using EgressGuard.Lists;

namespace EgressGuard.Tests.Lists;

public class DomainSetTests
{
    private static DomainSet Build(string text)
    {
        var (entries, errors) = DomainListParser.Parse(new StringReader(text), "domains.txt");
        Assert.Empty(errors);
        var builder = new DomainSetBuilder();
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

    [Fact]
    public void TryMatch_Homograph_IsADifferentNameUnlessListed()
    {
        // "pаypal.test" with a Cyrillic "а" is another name (xn--pypal-4ve.test): listing the real
        // name does not cover it, listing the homograph in either form does.
        Assert.True(EgressGuard.Addressing.TargetParser.TryNormalizeHost("p\u0430ypal.test", out var homograph, out _, out _));
        Assert.StartsWith("xn--", homograph);
        Assert.False(Build("paypal.test\n").TryMatch(homograph, out _));
        Assert.True(Build("p\u0430ypal.test\n").TryMatch(homograph, out _));
        Assert.True(Build(homograph + "\n").TryMatch(homograph, out _));
    }
}
