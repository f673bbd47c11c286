using System.Collections.Concurrent;
using System.Net;
using System.Text;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Identity;

/// <summary>
/// The real authenticator against a real credentials file on disk, with a fake clock for the
/// failure window; hashes use the lowest accepted PBKDF2 count so the tests stay fast.
/// </summary>
public sealed class ProxyAuthenticatorTests : IDisposable
{
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-auth-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly CapturingLogger _logger = new();

    public ProxyAuthenticatorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string UsersPath => Path.Combine(_dir, "users.json");

    private static string Basic(string userColonPassword) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

    private static UserEntry User(string name, string password, params string[] groups) =>
        new() { Name = name, Password = PasswordHasher.Hash(password, 1000), Groups = [.. groups] };

    private void WriteUsers(params UserEntry[] users)
    {
        var before = File.Exists(UsersPath) ? File.GetLastWriteTimeUtc(UsersPath) : DateTime.MinValue;
        UsersFile.Save(UsersPath, new UsersDocument { Users = [.. users] });
        // The file is re-read when its write time changes: make sure it does on a coarse clock.
        if (File.GetLastWriteTimeUtc(UsersPath) <= before)
        {
            File.SetLastWriteTimeUtc(UsersPath, before.AddSeconds(1));
        }
    }

    private void WriteRaw(string text)
    {
        var before = File.GetLastWriteTimeUtc(UsersPath);
        File.WriteAllText(UsersPath, text);
        File.SetLastWriteTimeUtc(UsersPath, before.AddSeconds(1));
    }

    private ProxyAuthenticator Create(AuthOptions? options = null, params string[] trusted) =>
        new(options ?? new AuthOptions { Mode = "basic" }, UsersPath, (trusted.Length == 0 ? ["10.0.0.0/8"] : trusted).Select(IpNetworkParser.Parse), _clock, _logger);

    [Fact]
    public async Task Admit_ModeNone_TrustedClientAdmittedWithoutCredentials()
    {
        var auth = Create(new AuthOptions());

        var (result, identity) = await auth.AdmitAsync(Client, proxyAuthorization: null);

        Assert.False(auth.RequiresAuthentication);
        Assert.Equal(AdmissionResult.Admitted, result);
        Assert.Equal(Client, identity.Address);
        Assert.Null(identity.User);
        Assert.Equal(0, auth.UserCount);
    }

    [Fact]
    public async Task Admit_ModeNone_HeaderIgnored()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "none" });

        var (result, identity) = await auth.AdmitAsync(Client, Basic("alice:pw"));

        Assert.Equal(AdmissionResult.Admitted, result);
        Assert.Null(identity.User);
    }

    [Theory]
    [InlineData("10.0.0.0", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("9.255.255.255", false)]
    [InlineData("11.0.0.0", false)]
    [InlineData("::ffff:10.9.9.9", true)]       // IPv4-mapped: the IPv4 client it is
    [InlineData("::ffff:192.0.2.1", false)]
    [InlineData("::a01:203", false)]            // the same number as 10.1.2.3, but IPv6
    public async Task Admit_AddressAgainstTrustedRange_OnlyInsideAdmitted(string address, bool admitted)
    {
        var auth = Create(new AuthOptions());

        var (result, _) = await auth.AdmitAsync(IPAddress.Parse(address), null);

        Assert.Equal(admitted ? AdmissionResult.Admitted : AdmissionResult.UntrustedClient, result);
        Assert.Equal(admitted, auth.IsTrusted(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task Admit_Ipv4Mapped_IdentityCarriesCanonicalIpv4()
    {
        var auth = Create(new AuthOptions());

        var (_, identity) = await auth.AdmitAsync(IPAddress.Parse("::ffff:10.1.2.3"), null);

        Assert.Equal(Client, identity.Address);
    }

    [Theory]
    [InlineData("fd00::1", true)]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("fc00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("10.1.2.3", false)]
    public async Task Admit_Ipv6TrustedRange_FamilyAndBoundsRespected(string address, bool admitted)
    {
        var auth = Create(new AuthOptions(), "fd00::/8");

        Assert.Equal(admitted ? AdmissionResult.Admitted : AdmissionResult.UntrustedClient, (await auth.AdmitAsync(IPAddress.Parse(address), null)).Result);
    }

    [Fact]
    public async Task Admit_NoAddressOrNoTrustedRanges_Untrusted()
    {
        var auth = Create(new AuthOptions());
        var none = new ProxyAuthenticator(new AuthOptions(), null, [], _clock, _logger);

        Assert.Equal(AdmissionResult.UntrustedClient, (await auth.AdmitAsync(null, null)).Result);
        Assert.False(auth.IsTrusted(null));
        Assert.Equal(AdmissionResult.UntrustedClient, (await none.AdmitAsync(IPAddress.Loopback, null)).Result);
    }

    [Fact]
    public async Task Admit_UntrustedWithRightCredentials_StillUntrusted()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        Assert.Equal(AdmissionResult.UntrustedClient, (await auth.AdmitAsync(IPAddress.Parse("192.0.2.1"), Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_RightPassword_AdmittedWithUserAndGroups()
    {
        WriteUsers(User("alice", "s3cret", "dev", "ops"), User("bob", "other"));
        var auth = Create();

        var (result, identity) = await auth.AdmitAsync(Client, Basic("alice:s3cret"));

        Assert.True(auth.RequiresAuthentication);
        Assert.Equal(2, auth.UserCount);
        Assert.Equal(AdmissionResult.Admitted, result);
        Assert.Equal("alice", identity.User);
        Assert.Equal(["dev", "ops"], identity.GroupList);
        Assert.Equal(Client, identity.Address);
    }

    [Fact]
    public async Task Admit_SecondTime_SameAnswerFromCache()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        Assert.Equal("alice", (await auth.AdmitAsync(Client, Basic("alice:pw"))).Identity.User);
        Assert.Equal("alice", (await auth.AdmitAsync(IPAddress.Parse("10.7.7.7"), Basic("alice:pw"))).Identity.User);
        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("alice:wrong"))).Result);
    }

    [Fact]
    public async Task Admit_UserNameOtherCase_AdmittedAsWrittenInFile()
    {
        WriteUsers(User("Alice", "pw"));
        var auth = Create();

        var (result, identity) = await auth.AdmitAsync(Client, Basic("ALICE:pw"));

        Assert.Equal(AdmissionResult.Admitted, result);
        Assert.Equal("Alice", identity.User);
    }

    [Theory]
    [InlineData("basic ")]
    [InlineData("BASIC ")]
    [InlineData("Basic   ")]   // extra spaces before the credentials are trimmed
    public async Task Admit_SchemeAnyCase_Admitted(string scheme)
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, scheme + Convert.ToBase64String("alice:pw"u8))).Result);
    }

    [Fact]
    public async Task Admit_PasswordWithColons_SplitAtFirstColon()
    {
        WriteUsers(User("bob", "a:b:c"));
        var auth = Create();

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("bob:a:b:c"))).Result);
        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("bob:a"))).Result);
    }

    [Fact]
    public async Task Admit_NonAsciiCredentials_Utf8()
    {
        WriteUsers(User("jürgen", "pässwörd"));
        var auth = Create();

        Assert.Equal("jürgen", (await auth.AdmitAsync(Client, Basic("jürgen:pässwörd"))).Identity.User);
    }

    [Fact]
    public async Task Admit_NoHeader_407()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        var (result, identity) = await auth.AdmitAsync(Client, null);

        Assert.Equal(AdmissionResult.AuthenticationRequired, result);
        Assert.Null(identity.User);
        Assert.Equal(Client, identity.Address);
        Assert.Equal(["Basic realm=\"EgressGuard\""], auth.Challenges);
    }

    [Fact]
    public async Task Admit_WrongPassword_407()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        var (result, identity) = await auth.AdmitAsync(Client, Basic("alice:PW"));

        Assert.Equal(AdmissionResult.AuthenticationRequired, result);
        Assert.Null(identity.User);
    }

    [Fact]
    public async Task Admit_UnknownUser_407()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("mallory:pw"))).Result);
    }

    public static TheoryData<string> MalformedHeaders() => new()
    {
        "",
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic YWxpY2U6cHc",                          // base64 missing its padding
        Basic("alice"),                               // no colon
        Basic(":pw"),                                 // no user
        Basic("alice:"),                              // empty password (not alice's)
        "Bearer " + Convert.ToBase64String("alice:pw"u8),
        "Digest username=\"alice\"",
        "BasicYWxpY2U6cHc=",                          // no space after the scheme
        Convert.ToBase64String("alice:pw"u8),         // no scheme at all
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task Admit_MalformedHeader_407WithoutThrowing(string header)
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        var (result, identity) = await auth.AdmitAsync(Client, header);

        Assert.Equal(AdmissionResult.AuthenticationRequired, result);
        Assert.Null(identity.User);
    }

    [Fact]
    public async Task Admit_CertificateNamesUser_AdmittedWithoutPassword()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();
        var certificate = new ClientIdentity(Client, "CN=build-agent", ["ci"]);

        var (result, identity) = await auth.AdmitAsync(Client, null, certificate);

        Assert.Equal(AdmissionResult.Admitted, result);
        Assert.Same(certificate, identity);
        Assert.Equal(AdmissionResult.UntrustedClient, (await auth.AdmitAsync(IPAddress.Parse("192.0.2.1"), null, certificate)).Result);
    }

    [Fact]
    public async Task Admit_CertificateWithoutUser_StillNeedsPassword()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, null, new ClientIdentity(Client))).Result);
    }

    [Fact]
    public async Task Admit_RepeatedFailures_ThrottledForOneWindowEvenWithRightPassword()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 3, FailureWindow = TimeSpan.FromMinutes(1) });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("alice:guess" + i))).Result);
        }

        Assert.Equal(AdmissionResult.Throttled, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        Assert.Equal(AdmissionResult.Throttled, (await auth.AdmitAsync(Client, null)).Result);

        // Another address is not held back by this one's failures.
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(IPAddress.Parse("10.9.9.9"), Basic("alice:pw"))).Result);

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(AdmissionResult.Throttled, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_Ipv4MappedAndPlainAddress_ShareOneFailureCount()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 2 });

        await auth.AdmitAsync(Client, Basic("alice:x"));
        await auth.AdmitAsync(IPAddress.Parse("::ffff:10.1.2.3"), Basic("alice:y"));

        Assert.Equal(AdmissionResult.Throttled, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_MissingHeaders_NotCountedAsFailures()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 2 });

        // A browser's first request carries no credentials: that is a challenge, not a failure.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, null)).Result);
        }

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_SuccessBetweenFailures_CountStartsAgain()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 3 });

        await auth.AdmitAsync(Client, Basic("alice:x"));
        await auth.AdmitAsync(Client, Basic("alice:y"));
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        await auth.AdmitAsync(Client, Basic("alice:x"));
        await auth.AdmitAsync(Client, Basic("alice:y"));

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_FailuresSpreadOverMoreThanAWindow_NotThrottled()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 3, FailureWindow = TimeSpan.FromMinutes(1) });

        await auth.AdmitAsync(Client, Basic("alice:x"));
        await auth.AdmitAsync(Client, Basic("alice:y"));
        _clock.Advance(TimeSpan.FromSeconds(61));
        await auth.AdmitAsync(Client, Basic("alice:z"));
        await auth.AdmitAsync(Client, Basic("alice:w"));

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_PasswordChangedInFile_OldRefusedNewAdmitted()
    {
        WriteUsers(User("alice", "old"));
        var auth = Create();
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:old"))).Result);

        WriteUsers(User("alice", "new"));

        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("alice:old"))).Result);
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:new"))).Result);
    }

    [Fact]
    public async Task Admit_UserRemovedFromFile_CachedCredentialRefused()
    {
        WriteUsers(User("alice", "pw"), User("bob", "pw2"));
        var auth = Create();
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);

        WriteUsers(User("bob", "pw2"));

        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        Assert.Equal(1, auth.UserCount);
    }

    [Fact]
    public async Task Admit_CachedCredentialPastTtl_VerifiedAgainAndStillAdmitted()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create(new AuthOptions { Mode = "basic", CacheTtl = TimeSpan.FromMinutes(5) });
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);

        _clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal("alice", (await auth.AdmitAsync(Client, Basic("alice:pw"))).Identity.User);
    }

    [Fact]
    public async Task Admit_UsersFileBecomesInvalid_LastGoodUsersKeptAndErrorLogged()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        WriteRaw("""{"users":[{"name":"alice","password":"plain-text"}]}""");

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        Assert.Equal(1, auth.UserCount);
        Assert.Contains(_logger.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("refused, keeping the previous users", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Admit_UsersFileNotJson_LastGoodUsersKept()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();

        WriteRaw("{ not json");

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
    }

    [Fact]
    public async Task Admit_InvalidFileAtStart_NoUsers()
    {
        File.WriteAllText(UsersPath, """{"users":[{"name":"a:b","password":"x"}]}""");
        var auth = Create();

        Assert.Equal(0, auth.UserCount);
        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("a:b:x"))).Result);
        Assert.Contains(_logger.Lines, l => l.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Admit_FileMissingThenCreated_UsersLoadedOnNextRequest()
    {
        var auth = Create();
        Assert.Equal(0, auth.UserCount);
        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);

        WriteUsers(User("alice", "pw"));

        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        Assert.Equal(1, auth.UserCount);
    }

    [Fact]
    public async Task Admit_FileDeleted_NoUsersAnyMore()
    {
        WriteUsers(User("alice", "pw"));
        var auth = Create();
        Assert.Equal(AdmissionResult.Admitted, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);

        File.Delete(UsersPath);

        // A deleted file is an empty one: the cached credential goes with the users.
        Assert.Equal(AdmissionResult.AuthenticationRequired, (await auth.AdmitAsync(Client, Basic("alice:pw"))).Result);
        Assert.Equal(0, auth.UserCount);
    }

    [Fact]
    public async Task Admit_AnyOutcome_NeverLogsPasswordOrHeader()
    {
        const string password = "Tr0ub4dor&3-unique";
        WriteUsers(User("alice", password));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 2 });
        var good = Basic("alice:" + password);
        var bad = Basic("alice:" + password + "-typo");

        await auth.AdmitAsync(Client, good);
        await auth.AdmitAsync(Client, bad);
        await auth.AdmitAsync(Client, bad);
        await auth.AdmitAsync(Client, good);
        WriteRaw("{ broken " + password);
        await auth.AdmitAsync(Client, good);

        Assert.NotEmpty(_logger.Lines);
        Assert.All(_logger.Lines, l =>
        {
            Assert.DoesNotContain(password, l, StringComparison.Ordinal);
            Assert.DoesNotContain(good["Basic ".Length..], l, StringComparison.Ordinal);
            Assert.DoesNotContain(bad["Basic ".Length..], l, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Admit_ConcurrentClients_EachGetsOwnAnswer()
    {
        WriteUsers(User("alice", "pw"), User("bob", "pw2"));
        var auth = Create(new AuthOptions { Mode = "basic", MaxFailures = 1000 });

        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () => (i % 3) switch
        {
            0 => (await auth.AdmitAsync(Client, Basic("alice:pw"))).Identity.User,
            1 => (await auth.AdmitAsync(Client, Basic("bob:pw2"))).Identity.User,
            _ => (await auth.AdmitAsync(Client, Basic("bob:pw"))).Identity.User,
        })));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal((i % 3) switch { 0 => "alice", 1 => "bob", _ => null }, results[i]);
        }
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel} {formatter(state, exception)} {exception}");
    }
}
