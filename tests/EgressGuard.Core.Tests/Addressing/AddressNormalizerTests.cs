using System.Net;
using EgressGuard.Addressing;

namespace EgressGuard.Tests.Addressing;

public class AddressNormalizerTests
{
    [Theory]
    [InlineData("nat64 well-known", "64:ff9b::7f00:42", "127.0.0.66")]
    [InlineData("nat64 dotted", "64:ff9b::169.254.169.254", "169.254.169.254")]
    [InlineData("6to4", "2002:7f00:42::1", "127.0.0.66")]
    [InlineData("ipv4-compatible", "::127.0.0.66", "127.0.0.66")]
    [InlineData("siit ipv4-translated", "::ffff:0:127.0.0.66", "127.0.0.66")]
    [InlineData("siit ipv4-translated hex", "::ffff:0:a9fe:a9fe", "169.254.169.254")]
    public void EmbeddedIPv4_TransitionForms_Extracted(string name, string v6, string v4)
    {
        var embedded = AddressNormalizer.EmbeddedIPv4(IPAddress.Parse(v6));
        Assert.True(embedded.Contains(IPAddress.Parse(v4)), name);
    }

    [Fact]
    public void EmbeddedIPv4_Teredo_ServerAndClient()
    {
        // Teredo: 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC with the client address inverted.
        var client = IPAddress.Parse("10.0.0.1");
        var inverted = ~BitConverter.ToUInt32(client.GetAddressBytes().Reverse().ToArray());
        var teredo = IPAddress.Parse($"2001:0:c000:0201:0:0:{inverted >> 16:x}:{inverted & 0xffff:x}");
        var embedded = AddressNormalizer.EmbeddedIPv4(teredo);
        Assert.Contains(IPAddress.Parse("192.0.2.1"), embedded);
        Assert.Contains(client, embedded);
    }

    [Theory]
    [InlineData("2001:db8::1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("8.8.8.8")]
    public void EmbeddedIPv4_PlainAddresses_None(string address) =>
        Assert.Empty(AddressNormalizer.EmbeddedIPv4(IPAddress.Parse(address)));

    [Fact]
    public void Canonicalize_Mapped_BecomesIPv4() =>
        Assert.Equal(IPAddress.Parse("127.0.0.66"), AddressNormalizer.Canonicalize(IPAddress.Parse("::ffff:127.0.0.66")));
}
