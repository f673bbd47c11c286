using System.Text.Json;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;
using EgressGuard.Rules;

namespace EgressGuard.Tests.Rules;

/// <summary>A rule's <c>upstream</c>: checked against the configured parents, carried by the decision it allows.</summary>
public class RuleUpstreamTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static RuleCompilation Compile(string rules) =>
        RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>($$"""{"rules":[{{rules}}]}""")!, RuleCompiler.NoFeedCheck, Now, isKnownParent: p => p == "eu");

    [Fact]
    public void Compile_UnknownParentOrUpstreamOnDeny_ErrorsNameRuleAndValue()
    {
        var result = Compile("""
            {"id":"a","action":"allow","destinations":["a.example"],"upstream":"us"},
            {"id":"b","action":"deny","destinations":["b.example"],"upstream":"direct"}
            """);
        Assert.Null(result.Set);
        Assert.Contains("rule 'a': upstream = 'us': expected direct or the name of a parent proxy under Upstream:Parents", result.Errors);
        Assert.Contains(result.Errors, e => e.StartsWith("rule 'b': upstream = 'direct': only an allow rule", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_DirectOrKnownParent_Accepted()
    {
        var result = Compile("""
            {"id":"a","action":"allow","destinations":["a.example"],"upstream":"eu"},
            {"id":"b","action":"allow","destinations":["b.example"],"upstream":"direct"}
            """);
        Assert.Empty(result.Errors);
        Assert.Equal(["eu", "direct"], result.Set!.Rules.Where(r => r.Kind == RuleKind.User).Select(r => r.Upstream));
    }

    [Fact]
    public void Compile_NoParentsConfigured_OnlyDirectAccepted()
    {
        var result = RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>("""{"rules":[{"id":"a","action":"allow","upstream":"eu"}]}""")!, RuleCompiler.NoFeedCheck, Now);
        Assert.Contains(result.Errors, e => e.StartsWith("rule 'a': upstream = 'eu'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("10.1.2.3", "eu", "rule:via-eu")]
    [InlineData("10.9.9.9", "direct", "rule:lan")]
    [InlineData("93.184.216.34", null, null)]
    public async Task Decide_AllowedByRule_DecisionCarriesItsUpstream(string address, string? upstream, string? rule)
    {
        var compiled = Compile("""
            {"id":"via-eu","action":"allow","destinations":["10.1.0.0/16"],"upstream":"eu"},
            {"id":"lan","action":"allow","destinations":["10.0.0.0/8"],"upstream":"direct"}
            """);
        var snapshot = new PolicySnapshot(IpRangeIndex.Empty, DomainSet.Empty, PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1, compiled.Set);
        var policy = new EgressPolicy(new PolicyHolder(snapshot), new NoAnswer(), AddressPreference.IPv4);
        Assert.True(TargetParser.TryParseAuthority(address + ":443", 443, out var target, out var error), error);

        var decision = await policy.DecideAsync(snapshot, target, ClientIdentity.Unknown, CancellationToken.None, "CONNECT");

        Assert.True(decision.IsAllowed, decision.Detail);
        Assert.Equal(rule, decision.Rule);
        Assert.Equal(upstream, decision.Upstream);
    }

    /// <summary>Every target here is an IP literal: nothing is resolved.</summary>
    private sealed class NoAnswer : IResolver
    {
        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no name is resolved in these tests");
    }
}
