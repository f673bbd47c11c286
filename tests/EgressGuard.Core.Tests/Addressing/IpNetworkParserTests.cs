using EgressGuard.Addressing;

namespace EgressGuard.Tests.Addressing;

public class IpNetworkParserTests
{
    [Theory]
    [InlineData("single v4", "192.0.2.1", "192.0.2.1")]
    [InlineData("cidr v4", "192.0.2.0/24", "192.0.2.0/24")]
    [InlineData("netmask", "192.0.2.0/255.255.255.0", "192.0.2.0/24")]
    [InlineData("range", "192.0.2.10-192.0.2.20", "192.0.2.10-192.0.2.20")]
    [InlineData("range that is a cidr", "192.0.2.0-192.0.2.255", "192.0.2.0/24")]
    [InlineData("v6 cidr", "2001:db8::/32", "2001:db8::/32")]
    [InlineData("mapped v6 cidr", "::ffff:192.0.2.0/120", "192.0.2.0/24")]
    [InlineData("mapped v6 single", "::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("whole v4", "0.0.0.0/0", "0.0.0.0/0")]
    public void TryParse_ValidEntries_Normalised(string name, string text, string expected)
    {
        Assert.True(IpNetworkParser.TryParse(text, out var range, out var warning, out var error), $"{name}: {error}");
        Assert.Null(warning);
        Assert.Equal(expected, range.ToString());
    }

    [Fact]
    public void TryParse_HostBitsSet_NormalisedWithWarning()
    {
        Assert.True(IpNetworkParser.TryParse("10.1.2.3/8", out var range, out var warning, out _));
        Assert.Equal("10.0.0.0/8", range.ToString());
        Assert.Contains("host bits", warning);
    }

    [Theory]
    [InlineData("not an address", "example.com")]
    [InlineData("prefix too long", "192.0.2.0/33")]
    [InlineData("non-contiguous mask", "192.0.2.0/255.0.255.0")]
    [InlineData("odd notation refused in lists", "127.1")]
    [InlineData("leading zero refused in lists", "010.0.0.1")]
    [InlineData("range backwards", "192.0.2.20-192.0.2.10")]
    [InlineData("range mixing families", "192.0.2.1-2001:db8::1")]
    [InlineData("zone id", "fe80::1%eth0")]
    public void TryParse_InvalidEntries_Error(string name, string text)
    {
        Assert.False(IpNetworkParser.TryParse(text, out _, out _, out var error), name);
        Assert.False(string.IsNullOrEmpty(error));
    }
}
