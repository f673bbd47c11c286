using EgressGuard.Identity;

namespace EgressGuard.Core.Tests.Identity;

public sealed class NegotiateAcceptorTests
{
    [Theory]
    [InlineData("none", "")]
    [InlineData("basic", "basic")]
    [InlineData("negotiate", "negotiate")]
    [InlineData("Negotiate, Basic", "negotiate,basic")]
    public void Schemes_KnownModes_InChallengeOrder(string mode, string expected) =>
        Assert.Equal(expected, string.Join(',', new AuthOptions { Mode = mode }.Schemes()!));

    [Theory]
    [InlineData("ntlm")]
    [InlineData("basic,negotiate")]
    [InlineData("kerberos")]
    public void Schemes_UnknownMode_Null(string mode) => Assert.Null(new AuthOptions { Mode = mode }.Schemes());

    [Fact]
    public void IsNtlm_BareNtlmssp_True() =>
        Assert.True(NegotiateAcceptor.IsNtlm(Convert.FromBase64String("TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==")));

    [Fact]
    public void IsNtlm_SpnegoOfferingNtlmOnly_True_WithKerberosToo_False()
    {
        byte[] ntlmOid = [0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0A];
        byte[] krb5Oid = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02];
        byte[] spnegoHead = [0x60, 0x30, 0x06, 0x06, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x02, 0xA0, 0x26];
        Assert.True(NegotiateAcceptor.IsNtlm([.. spnegoHead, .. ntlmOid]));
        Assert.False(NegotiateAcceptor.IsNtlm([.. spnegoHead, .. krb5Oid, .. ntlmOid]));
    }

    [Fact]
    public void Accept_NotBase64_Malformed() =>
        Assert.Equal(NegotiateFailure.Malformed, new NegotiateAcceptor().Accept("not base64 !").Failure);
}
