using EgressGuard.Addressing;

namespace EgressGuard.Tests.Addressing;

public class TargetParserTests
{
    public static TheoryData<string, string, string, int> Accepted => new()
    {
        // name,                      authority,                 host,              port
        { "plain name",               "example.com:443",         "example.com",     443 },
        { "upper case",               "EXAMPLE.Com:443",         "example.com",     443 },
        { "trailing dot",             "example.com.:443",        "example.com",     443 },
        { "underscore label",         "_srv.example.com:80",     "_srv.example.com", 80 },
        { "idn to punycode",          "bücher.de:443",           "xn--bcher-kva.de", 443 },
        { "dotted quad",              "127.0.0.66:80",           "127.0.0.66",      80 },
        { "decimal integer",          "2130706433:80",           "127.0.0.1",       80 },
        { "hex short",                "0x7f.1:80",               "127.0.0.1",       80 },
        { "hex integer",              "0x7f000001:80",           "127.0.0.1",       80 },
        { "octal",                    "0177.0.0.1:80",           "127.0.0.1",       80 },
        { "short form",               "127.1:80",                "127.0.0.1",       80 },
        { "ipv6",                     "[2001:db8::1]:443",       "2001:db8::1",     443 },
        { "ipv6 mapped to ipv4",      "[::ffff:127.0.0.66]:443", "127.0.0.66",      443 },
        { "ipv6 mapped hex form",     "[::ffff:7f00:42]:443",    "127.0.0.66",      443 },
        { "max port",                 "example.com:65535",       "example.com",     65535 },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void TryParseAuthority_ValidForms_Normalised(string name, string authority, string host, int port)
    {
        Assert.True(TargetParser.TryParseAuthority(authority, -1, out var target, out var error), $"{name}: {error}");
        Assert.Equal(host, target.Host);
        Assert.Equal(port, target.Port);
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        // name,                 authority,                  error contains
        { "no port",             "example.com",              "missing port" },
        { "empty port",          "example.com:",             "invalid port" },
        { "port zero",           "example.com:0",            "out of range" },
        { "port too big",        "example.com:99999",        "out of range" },
        { "port not numeric",    "example.com:https",        "invalid port" },
        { "extra colon",         "example.com:443:1",        "brackets" },
        { "userinfo",            "user:pw@example.com:443",  "userinfo" },
        { "ipv6 no brackets",    "::1:443",                  "brackets" },
        { "zone id",             "[fe80::1%25eth0]:443",     "zone" },
        { "unterminated v6",     "[::1:443",                 "unterminated" },
        { "nul in host",         "exa\0mple.com:443",        "control character" },
        { "crlf in host",        "example.com\r\n:443",      "control character" },
        { "space in host",       "exa mple.com:443",         "not allowed" },
        { "empty label",         "a..b:443",                 "empty label" },
        { "label too long",      new string('a', 64) + ".com:443", "label longer" },
        { "name too long",       string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + ":443", "longer than 253" },
        { "bad ipv4",            "1.2.3.4.5:80",             "invalid IPv4" },
        { "bad octal",           "08.1.1.1:80",              "invalid IPv4" },
        { "ipv4 too large",      "4294967296:80",            "invalid IPv4" },
        { "empty",               "",                         "empty host" },
        { "only port",           ":443",                     "empty host" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void TryParseAuthority_InvalidForms_RefusedWithReason(string name, string authority, string expected)
    {
        Assert.False(TargetParser.TryParseAuthority(authority, -1, out _, out var error), name);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryParseAuthority_NoPortWithDefault_UsesDefault()
    {
        Assert.True(TargetParser.TryParseAuthority("example.com", 80, out var target, out _));
        Assert.Equal(80, target.Port);
        Assert.Equal("example.com", target.Authority(80));
    }

    [Fact]
    public void Authority_Ipv6_Bracketed()
    {
        Assert.True(TargetParser.TryParseAuthority("[2001:db8::1]:8080", 80, out var target, out _));
        Assert.Equal("[2001:db8::1]:8080", target.Authority(80));
    }
}
