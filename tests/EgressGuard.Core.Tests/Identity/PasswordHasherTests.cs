using System.Globalization;
using EgressGuard.Identity;

namespace EgressGuard.Tests.Identity;

public class PasswordHasherTests
{
    // The lowest count the parser accepts: keeps these tests fast. The default is checked once.
    private const int Fast = 1000;

    private static string[] Parts(string stored) => stored.Split('$');

    [Fact]
    public void Hash_DefaultIterations_SelfDescribingFormatWithOwaspCount()
    {
        var stored = PasswordHasher.Hash("correct horse");

        var parts = Parts(stored);
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal(600_000, PasswordHasher.DefaultIterations);
        Assert.Equal("600000", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.True(PasswordHasher.IsWellFormed(stored));
        Assert.True(PasswordHasher.Verify("correct horse", stored));
    }

    [Fact]
    public void Hash_GivenIterations_Recorded()
    {
        var stored = PasswordHasher.Hash("pw", 1234);

        Assert.Equal("1234", Parts(stored)[1]);
        Assert.True(PasswordHasher.Verify("pw", stored));
    }

    [Fact]
    public void Hash_SamePasswordTwice_DifferentSaltAndHash()
    {
        var one = Parts(PasswordHasher.Hash("same", Fast));
        var two = Parts(PasswordHasher.Hash("same", Fast));

        Assert.NotEqual(one[2], two[2]);
        Assert.NotEqual(one[3], two[3]);
    }

    [Fact]
    public void Hash_NeverContainsThePassword()
    {
        const string password = "hunter2-and-more";

        Assert.DoesNotContain(password, PasswordHasher.Hash(password, Fast), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("")]
    [InlineData("Secret")]            // case matters
    [InlineData("secret ")]           // so does a trailing space
    [InlineData("secre")]
    public void Verify_WrongPassword_False(string attempt)
    {
        var stored = PasswordHasher.Hash("secret", Fast);

        Assert.False(PasswordHasher.Verify(attempt, stored));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pässwörd ✓ 密码")]
    [InlineData("with:colon$and$dollars")]
    public void Verify_UnusualPasswords_RoundTrip(string password)
    {
        var stored = PasswordHasher.Hash(password, Fast);

        Assert.True(PasswordHasher.IsWellFormed(stored));
        Assert.True(PasswordHasher.Verify(password, stored));
    }

    [Fact]
    public void Verify_HashFromAnotherImplementation_Accepted()
    {
        // The published PBKDF2-HMAC-SHA256 vector (P = "passwordPASSWORDpassword",
        // S = "saltSALTsaltSALTsaltSALTsaltSALTsalt", c = 4096, dkLen = 40): a stored hash written by
        // another tool verifies, at the length it was written with.
        var salt = Convert.ToBase64String("saltSALTsaltSALTsaltSALTsaltSALTsalt"u8);
        var hash = Convert.ToBase64String(Convert.FromHexString("348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"));
        var stored = $"pbkdf2-sha256$4096${salt}${hash}";

        Assert.True(PasswordHasher.IsWellFormed(stored));
        Assert.True(PasswordHasher.Verify("passwordPASSWORDpassword", stored));
        Assert.False(PasswordHasher.Verify("passwordPASSWORDpassworD", stored));
    }

    [Fact]
    public void Verify_IterationsChanged_False()
    {
        // The count is part of what is verified: an edited count does not still match.
        var parts = Parts(PasswordHasher.Hash("pw", Fast));
        parts[1] = (Fast + 1).ToString(CultureInfo.InvariantCulture);

        Assert.False(PasswordHasher.Verify("pw", string.Join('$', parts)));
    }

    [Fact]
    public void Verify_HashTampered_False()
    {
        var parts = Parts(PasswordHasher.Hash("pw", Fast));
        var hash = Convert.FromBase64String(parts[3]);
        hash[^1] ^= 1;
        parts[3] = Convert.ToBase64String(hash);

        Assert.False(PasswordHasher.Verify("pw", string.Join('$', parts)));
    }

    public static TheoryData<string> Malformed()
    {
        var salt = Convert.ToBase64String(new byte[16]);
        var hash = Convert.ToBase64String(new byte[32]);
        return new TheoryData<string>
        {
            "",
            "secret",                                               // a plain password, never accepted
            $"pbkdf2-sha256$1000${salt}",                           // three parts
            $"pbkdf2-sha256$1000${salt}${hash}$extra",              // five parts
            $"pbkdf2-sha1$1000${salt}${hash}",                      // another scheme
            $"PBKDF2-SHA256$1000${salt}${hash}",                    // the scheme is exact
            $"$1000${salt}${hash}",
            $"pbkdf2-sha256$$${salt}${hash}",
            $"pbkdf2-sha256$999${salt}${hash}",                     // below the floor
            $"pbkdf2-sha256$0${salt}${hash}",
            $"pbkdf2-sha256$-1000${salt}${hash}",                   // no sign
            $"pbkdf2-sha256$+1000${salt}${hash}",
            $"pbkdf2-sha256$ 1000${salt}${hash}",                   // no whitespace
            $"pbkdf2-sha256$1e4${salt}${hash}",
            $"pbkdf2-sha256$99999999999${salt}${hash}",             // overflows int
            $"pbkdf2-sha256$1000$not base64!${hash}",
            $"pbkdf2-sha256$1000${salt}$not base64!",
            $"pbkdf2-sha256$1000$${hash}",                          // empty salt
            $"pbkdf2-sha256$1000${salt}$",                          // empty hash
            $"pbkdf2-sha256$1000${Convert.ToBase64String(new byte[7])}${hash}",   // salt under 8 bytes
            $"pbkdf2-sha256$1000${salt}${Convert.ToBase64String(new byte[15])}",  // hash under 16 bytes
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void IsWellFormed_Malformed_False(string stored) =>
        Assert.False(PasswordHasher.IsWellFormed(stored));

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Verify_Malformed_FalseWithoutThrowing(string stored)
    {
        Assert.False(PasswordHasher.Verify("secret", stored));
        Assert.False(PasswordHasher.Verify(string.Empty, stored));
    }

    [Fact]
    public void IsWellFormed_MinimumSizes_True()
    {
        var stored = $"pbkdf2-sha256$1000${Convert.ToBase64String(new byte[8])}${Convert.ToBase64String(new byte[16])}";

        Assert.True(PasswordHasher.IsWellFormed(stored));
        Assert.False(PasswordHasher.Verify("anything", stored));
    }
}
