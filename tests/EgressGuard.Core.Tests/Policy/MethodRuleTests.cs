using System.Net;
using System.Text.Json;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;
using EgressGuard.Rules;

namespace EgressGuard.Tests.Policy;

/// <summary>
/// The <c>methods</c> matcher: CONNECT rules decide tunnels only, other methods are decided per
/// request; a blind tunnel where a per-request deny applies is refused unless a CONNECT rule allows it.
/// </summary>
public class MethodRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress Files = IPAddress.Parse("93.184.216.34");

    private sealed class OneAnswer : IResolver
    {
        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Resolution.Resolution([Files], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)));
    }

    private static (PolicySnapshot Snapshot, EgressPolicy Policy) Build(string rules)
    {
        var compiled = RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>($$"""{"rules":[{{rules}}]}""")!, RuleCompiler.NoFeedCheck, Now);
        Assert.True(compiled.Set is not null, string.Join("\n", compiled.Errors));
        var snapshot = new PolicySnapshot(IpRangeIndex.Empty, DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1, compiled.Set);
        return (snapshot, new EgressPolicy(new PolicyHolder(snapshot), new OneAnswer(), AddressPreference.IPv4));
    }

    private static async Task<Decision> DecideAsync(EgressPolicy policy, PolicySnapshot snapshot, string method, string authority = "files.example.com:80")
    {
        Assert.True(TargetParser.TryParseAuthority(authority, 80, out var target, out var error), error);
        return await policy.DecideAsync(snapshot, target, ClientIdentity.Unknown, CancellationToken.None, method);
    }

    private static Decision? Blind(PolicySnapshot snapshot, Decision connect, bool intercepted = false) =>
        BlindTunnelCheck.Check(snapshot, connect, ClientIdentity.Unknown, Now, _ => intercepted);

    [Fact]
    public async Task Check_DenyPathRuleNotIntercepted_DenyNamingRule()
    {
        var (snapshot, policy) = Build("""{"id":"no-secrets","action":"deny","destinations":["files.example.com"],"paths":["/secret*"]}""");
        var connect = await DecideAsync(policy, snapshot, "CONNECT");
        Assert.True(connect.IsAllowed);

        var denied = Blind(snapshot, connect);
        Assert.NotNull(denied);
        Assert.Equal(DecisionAction.Deny, denied.Action);
        Assert.Equal(DecisionReasons.Rule, denied.Reason);
        Assert.Equal("rule:no-secrets", denied.Rule);
        Assert.Empty(denied.Approved);
        Assert.Contains("a blind tunnel would bypass them", denied.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Intercepted_NoDeny()
    {
        var (snapshot, policy) = Build("""{"id":"no-secrets","action":"deny","destinations":["files.example.com"],"paths":["/secret*"]}""");
        Assert.Null(Blind(snapshot, await DecideAsync(policy, snapshot, "CONNECT"), intercepted: true));
    }

    [Theory]
    [InlineData("""{"id":"ok","action":"allow","destinations":["files.example.com"],"paths":["/public/*"]}""")] // an allow path rule only labels
    [InlineData("""{"id":"x","action":"deny","destinations":["files.example.com"],"paths":["/secret*"],"mode":"report"}""")]
    [InlineData("""{"id":"x","action":"deny","destinations":["other.example.com"],"paths":["/secret*"]}""")]
    [InlineData("""{"id":"x","action":"deny","destinations":["files.example.com"],"ports":["443"],"paths":["/secret*"]}""")]
    [InlineData("""{"id":"t","action":"allow","destinations":["files.example.com"],"methods":["CONNECT"]},{"id":"x","action":"deny","destinations":["files.example.com"],"paths":["/secret*"]}""")]
    [InlineData("""{"id":"x","action":"deny","destinations":["files.example.com"],"paths":["/secret*"]},{"id":"t","action":"allow","destinations":["files.example.com"],"methods":["Connect"]}""")]
    public async Task Check_NothingBypassedOrExplicitConnectAllow_NoDeny(string rules)
    {
        var (snapshot, policy) = Build(rules);
        var connect = await DecideAsync(policy, snapshot, "CONNECT");
        Assert.True(connect.IsAllowed);
        Assert.Null(Blind(snapshot, connect));
    }

    [Fact]
    public async Task Check_DenyMethodRule_CountsForTunnels()
    {
        var (snapshot, policy) = Build("""{"id":"read-only","action":"deny","destinations":["files.example.com"],"methods":["POST"]}""");
        Assert.Equal("rule:read-only", Blind(snapshot, await DecideAsync(policy, snapshot, "CONNECT"))?.Rule);
    }

    [Fact]
    public async Task Decide_ConnectRule_DecidesConnectOnly()
    {
        var (snapshot, policy) = Build("""{"id":"no-tunnels","action":"deny","destinations":["files.example.com"],"methods":["CONNECT"]}""");
        Assert.Equal("rule:no-tunnels", (await DecideAsync(policy, snapshot, "CONNECT")).Rule);
        Assert.True((await DecideAsync(policy, snapshot, "GET")).IsAllowed);
        Assert.True((await DecideAsync(policy, snapshot, "CONNECT")).Action == DecisionAction.Deny); // not served from a GET's cached allow
    }

    [Fact]
    public async Task UrlPolicy_MethodRule_DecidesItsMethodsOnAnyPath()
    {
        var (snapshot, policy) = Build("""{"id":"read-only","action":"deny","destinations":["files.example.com"],"methods":["post","PUT"]}""");
        var connection = await DecideAsync(policy, snapshot, "POST");
        Assert.True(connection.IsAllowed); // not a connection rule: decided per request
        var post = UrlPolicy.Decide(snapshot, connection, [Files], "/any/path", ClientIdentity.Unknown, Now, "POST");
        Assert.Equal(DecisionAction.Deny, post.Action);
        Assert.Equal("POST", post.Entry);
        Assert.True(UrlPolicy.Decide(snapshot, connection, [Files], "/any/path", ClientIdentity.Unknown, Now, "GET").IsAllowed);
    }

    [Fact]
    public async Task UrlPolicy_PathAndMethodRule_BothMustMatch()
    {
        var (snapshot, policy) = Build("""{"id":"no-uploads","action":"deny","destinations":["files.example.com"],"paths":["/upload/*"],"methods":["POST"]}""");
        var connection = await DecideAsync(policy, snapshot, "GET");
        Assert.False(UrlPolicy.Decide(snapshot, connection, [Files], "/upload/a", ClientIdentity.Unknown, Now, "POST").IsAllowed);
        Assert.True(UrlPolicy.Decide(snapshot, connection, [Files], "/upload/a", ClientIdentity.Unknown, Now, "GET").IsAllowed);
        Assert.True(UrlPolicy.Decide(snapshot, connection, [Files], "/other", ClientIdentity.Unknown, Now, "POST").IsAllowed);
    }

    [Theory]
    [InlineData("""{"id":"x","action":"deny","methods":["GET","FE TCH"]}""", "rule 'x': methods[1] = 'FE TCH': expected an HTTP method")]
    [InlineData("""{"id":"x","action":"deny","methods":[""]}""", "rule 'x': methods[0] = '': expected an HTTP method")]
    [InlineData("""{"id":"x","action":"allow","methods":["CONNECT","GET"]}""", "rule 'x': methods: CONNECT cannot be combined with other methods")]
    [InlineData("""{"id":"x","action":"allow","methods":["CONNECT"],"paths":["/a"]}""", "rule 'x': methods: CONNECT cannot be combined with paths")]
    [InlineData("""{"id":"x","action":"deny","methods":["POST"],"feeds":["c2"]}""", "rule 'x': methods cannot be combined with feeds")]
    [InlineData("""{"id":"x","action":"deny","methods":["POST"],"inspect":"never"}""", "rule 'x': inspect = 'never' with methods")]
    public void Compile_BadMethods_ErrorNamesRuleAndField(string rule, string expected)
    {
        var result = RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>($$"""{"rules":[{{rule}}]}""")!, RuleCompiler.NoFeedCheck, Now);
        Assert.Null(result.Set);
        Assert.Contains(result.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
