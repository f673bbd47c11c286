using System.Net;
using System.Text.Json;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using EgressGuard.Tls;

namespace EgressGuard.Tests.Policy;

/// <summary>Path rules decide requests, never connections; interception is chosen for the tunnels they need.</summary>
public class UrlPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress Files = IPAddress.Parse("93.184.216.34");

    private static string Bypass(int index) => $"Tls:Intercept:Bypass[{index}]";

    private sealed class OneAnswer : IResolver
    {
        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Resolution.Resolution([Files], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)));
    }

    private static (PolicySnapshot Snapshot, EgressPolicy Policy) Build(string rulesJson)
    {
        var compiled = RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>(rulesJson)!, RuleCompiler.NoFeedCheck, Now);
        Assert.True(compiled.Set is not null, string.Join("\n", compiled.Errors));
        var snapshot = new PolicySnapshot(IpRangeIndex.Empty, DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1, compiled.Set);
        return (snapshot, new EgressPolicy(new PolicyHolder(snapshot), new OneAnswer(), AddressPreference.IPv4));
    }

    private static async Task<Decision> ConnectAsync(EgressPolicy policy, string authority, ClientIdentity? client = null)
    {
        Assert.True(TargetParser.TryParseAuthority(authority, 443, out var target, out var error), error);
        return await policy.DecideAsync(target, client ?? ClientIdentity.Unknown, CancellationToken.None);
    }

    private const string UploadDeny = """
        {"rules":[
          {"id":"no-uploads","action":"deny","destinations":["*.example.com"],"paths":["/upload/*"],"comment":"DLP"},
          {"id":"scan","action":"allow","destinations":["scan.test"],"inspect":"always"},
          {"id":"pinned","action":"allow","destinations":["pinned.test"],"inspect":"never"}
        ]}
        """;

    [Fact]
    public async Task DecideAsync_PathRule_NeverDecidesConnection()
    {
        var (_, policy) = Build(UploadDeny);
        var connect = await ConnectAsync(policy, "files.example.com:443");
        Assert.True(connect.IsAllowed);
        Assert.Null(connect.Rule); // allowed by the default, not by a rule
    }

    [Fact]
    public async Task Decide_PathMatches_DeniedByPathRule()
    {
        var (snapshot, policy) = Build(UploadDeny);
        var connect = await ConnectAsync(policy, "files.example.com:443");
        var request = UrlPolicy.Decide(snapshot, connect, [Files], "/Upload/secrets.zip", ClientIdentity.Unknown, Now);
        Assert.Equal(DecisionAction.Deny, request.Action);
        Assert.Equal("rule:no-uploads", request.Rule);
        Assert.Equal("/upload/*", request.Entry);
        Assert.Empty(request.Approved);
        Assert.Contains("DLP", request.Detail);
    }

    [Fact]
    public async Task Decide_OtherPath_ConnectionDecisionStands()
    {
        var (snapshot, policy) = Build(UploadDeny);
        var connect = await ConnectAsync(policy, "files.example.com:443");
        Assert.Same(connect, UrlPolicy.Decide(snapshot, connect, [Files], "/download/x", ClientIdentity.Unknown, Now));
    }

    [Fact]
    public async Task Decide_PathRuleAfterDecidingAllow_NotReached()
    {
        // First match wins: the host's own allow comes first, so the path rule below it never decides.
        var (snapshot, policy) = Build("""
            {"rules":[
              {"id":"partner","action":"allow","destinations":["files.example.com"]},
              {"id":"no-uploads","action":"deny","destinations":["*.example.com"],"paths":["/upload/*"]}
            ]}
            """);
        var connect = await ConnectAsync(policy, "files.example.com:443");
        Assert.Equal("rule:partner", connect.Rule);
        Assert.True(UrlPolicy.Decide(snapshot, connect, [Files], "/upload/x", ClientIdentity.Unknown, Now).IsAllowed);
    }

    [Fact]
    public async Task Decide_ReportModePathRule_WouldDenyOnly()
    {
        var (snapshot, policy) = Build("""{"rules":[{"id":"watch","action":"deny","mode":"report","destinations":["*.example.com"],"paths":["/upload/*"]}]}""");
        var connect = await ConnectAsync(policy, "files.example.com:443");
        var request = UrlPolicy.Decide(snapshot, connect, [Files], "/upload/x", ClientIdentity.Unknown, Now);
        Assert.True(request.IsAllowed);
        Assert.Equal("rule:watch", request.WouldDeny?.Rule);
    }

    [Fact]
    public async Task Decide_AddressPathRule_MatchesDialledAddress()
    {
        var (snapshot, policy) = Build("""{"rules":[{"id":"net","action":"deny","destinations":["93.184.216.0/24"],"paths":["/admin*"]}]}""");
        var connect = await ConnectAsync(policy, "any.test:443");
        Assert.False(UrlPolicy.Decide(snapshot, connect, [Files], "/admin/login", ClientIdentity.Unknown, Now).IsAllowed);
        Assert.True(UrlPolicy.Decide(snapshot, connect, [IPAddress.Parse("198.51.100.1")], "/admin/login", ClientIdentity.Unknown, Now).IsAllowed);
    }

    [Theory]
    [InlineData("""{"rules":[{"id":"x","action":"deny","paths":["upload"]}]}""", "rule 'x': paths[0] = 'upload': a path starts with '/'")]
    [InlineData("""{"rules":[{"id":"x","action":"deny","inspect":"sometimes"}]}""", "rule 'x': inspect = 'sometimes': expected always or never")]
    [InlineData("""{"rules":[{"id":"x","action":"deny","paths":["/a"],"inspect":"never"}]}""", "rule 'x': inspect = 'never' with paths")]
    [InlineData("""{"rules":[{"id":"x","action":"deny","paths":["/a"],"feeds":["c2"]}]}""", "rule 'x': paths cannot be combined with feeds")]
    public void Compile_BadPathOrInspect_ErrorNamesRuleAndField(string json, string expected)
    {
        var result = RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>(json)!, RuleCompiler.NoFeedCheck, Now);
        Assert.Null(result.Set);
        Assert.Contains(result.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(InterceptMode.Off), "files.example.com", null, false, "off")]
    [InlineData(nameof(InterceptMode.Rules), "files.example.com", null, true, "path rule rule:no-uploads")]
    [InlineData(nameof(InterceptMode.Rules), "other.test", null, false, "no rule asks")]
    [InlineData(nameof(InterceptMode.Rules), "other.test", "files.example.com", true, "path rule rule:no-uploads")]
    [InlineData(nameof(InterceptMode.Rules), "scan.test", null, true, "rule:scan inspect always")]
    [InlineData(nameof(InterceptMode.All), "other.test", null, true, "all")]
    [InlineData(nameof(InterceptMode.All), "pinned.test", null, false, "rule:pinned inspect never")]
    [InlineData(nameof(InterceptMode.All), "www.bank.test", null, false, "bypass *.bank.test")]
    [InlineData(nameof(InterceptMode.All), "files.example.com", null, true, "path rule rule:no-uploads")]
    [InlineData(nameof(InterceptMode.Rules), "scan.test", "login.bank.test", true, "rule:scan inspect always")]
    [InlineData(nameof(InterceptMode.All), "other.test", "login.bank.test", true, "all")]
    [InlineData(nameof(InterceptMode.All), "www.bank.test", "other.test", true, "all")]
    [InlineData(nameof(InterceptMode.All), "www.bank.test", "login.bank.test", false, "bypass *.bank.test")]
    public async Task Choose_ModeBypassAndRules_AsDocumented(string modeName, string host, string? sni, bool intercept, string reason)
    {
        var mode = Enum.Parse<InterceptMode>(modeName);
        var (snapshot, policy) = Build(UploadDeny);
        var bypass = DestinationList.Parse(["*.bank.test", "203.0.113.0/24"], Bypass, []);
        var connect = await ConnectAsync(policy, host + ":443");
        var choice = InterceptionPlanner.Choose(mode, bypass, snapshot, connect, sni, Files, ClientIdentity.Unknown, Now);
        Assert.Equal((intercept, reason), (choice.Intercept, choice.Reason));
    }

    [Fact]
    public async Task Choose_InspectNeverAfterPathRule_NeverWins()
    {
        // A global DLP path rule above a pinned app's inspect:never: the pinned app stays untouched.
        var (snapshot, policy) = Build("""
            {"rules":[
              {"id":"dlp","action":"deny","paths":["/upload/*"]},
              {"id":"pinned","action":"allow","destinations":["pinned.test"],"inspect":"never"}
            ]}
            """);
        var connect = await ConnectAsync(policy, "pinned.test:443");
        var choice = InterceptionPlanner.Choose(InterceptMode.Rules, DestinationList.Empty, snapshot, connect, null, Files, ClientIdentity.Unknown, Now);
        Assert.Equal((false, "rule:pinned inspect never"), (choice.Intercept, choice.Reason));
        var other = await ConnectAsync(policy, "other.test:443");
        Assert.Equal("path rule rule:dlp", InterceptionPlanner.Choose(InterceptMode.Rules, DestinationList.Empty, snapshot, other, null, Files, ClientIdentity.Unknown, Now).Reason);
    }

    [Fact]
    public void Compile_InspectNeverBelowDenyPathRule_Warned()
    {
        var result = RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>("""
            {"rules":[
              {"id":"dlp","action":"deny","paths":["/upload/*"]},
              {"id":"pinned","action":"allow","destinations":["pinned.test"],"inspect":"never"}
            ]}
            """)!, RuleCompiler.NoFeedCheck, Now);
        Assert.NotNull(result.Set);
        Assert.Contains(result.Warnings, w => w.StartsWith("rule 'pinned': inspect = 'never'", StringComparison.Ordinal) && w.Contains("'dlp'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Decide_AllowPathRuleWithAddresses_NeedsEveryAddress()
    {
        var (snapshot, policy) = Build("""
            {"rules":[
              {"id":"ok","action":"allow","destinations":["93.184.216.0/24"],"paths":["/api/*"]},
              {"id":"rest","action":"deny","paths":["/api/*"]}
            ]}
            """);
        var connect = await ConnectAsync(policy, "any.test:443");
        Assert.True(UrlPolicy.Decide(snapshot, connect, [Files], "/api/x", ClientIdentity.Unknown, Now).IsAllowed);
        Assert.False(UrlPolicy.Decide(snapshot, connect, [Files, IPAddress.Parse("198.51.100.1")], "/api/x", ClientIdentity.Unknown, Now).IsAllowed);
    }

    [Fact]
    public async Task Decide_AnyApprovedAddressMatches_Denied()
    {
        var (snapshot, policy) = Build("""{"rules":[{"id":"net","action":"deny","destinations":["93.184.216.0/24"],"paths":["/admin*"]}]}""");
        var connect = await ConnectAsync(policy, "any.test:443");
        Assert.False(UrlPolicy.Decide(snapshot, connect, [IPAddress.Parse("198.51.100.1"), Files], "/admin", ClientIdentity.Unknown, Now).IsAllowed);
    }

    [Fact]
    public async Task Choose_BypassedAddress_NotIntercepted()
    {
        var (snapshot, policy) = Build(UploadDeny);
        var bypass = DestinationList.Parse(["93.184.216.0/24"], Bypass, []);
        var connect = await ConnectAsync(policy, "other.test:443");
        Assert.Equal("bypass 93.184.216.0/24", InterceptionPlanner.Choose(InterceptMode.All, bypass, snapshot, connect, null, Files, ClientIdentity.Unknown, Now).Reason);
    }

    [Fact]
    public void Parse_BadBypassEntry_ErrorNamesIndex()
    {
        var errors = new List<string>();
        DestinationList.Parse(["ok.test", "bad..name"], Bypass, errors);
        Assert.Single(errors);
        Assert.StartsWith("Tls:Intercept:Bypass[1] = 'bad..name'", errors[0], StringComparison.Ordinal);
    }
}
