using System.Net;
using System.Text.Json;
using EgressGuard.Addressing;
using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Resolution;
using EgressGuard.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Rules;

/// <summary>The precedence table of docs/rules.md as named cases: action and rule asserted.</summary>
public class RulePrecedenceTests
{
    private sealed class TableResolver : IResolver
    {
        public Dictionary<string, Resolution.Resolution> Answers { get; } = new()
        {
            ["www.example.com"] = new([IPAddress.Parse("45.154.244.193")], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)),
            ["api.example.com"] = new([IPAddress.Parse("93.184.216.34")], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)),
            ["registry.corp"] = new([IPAddress.Parse("10.20.0.5")], [], ResolutionError.None, null, TimeSpan.FromMinutes(1)),
            ["cdn.partner.test"] = new([IPAddress.Parse("93.184.216.34")], ["edge.bad-cdn.test"], ResolutionError.None, null, TimeSpan.FromMinutes(1)),
        };

        public ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Answers.TryGetValue(name, out var r) ? r : Resolution.Resolution.Failed(ResolutionError.NxDomain, "NXDOMAIN"));
    }

    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    /// <summary>A feed "feodo" (category c2) listing 45.154.244.193; admin list listing 198.51.100.66.</summary>
    private static EgressPolicy Policy(string rulesJson, FakeTimeProvider? clock = null)
    {
        clock ??= Clock;
        var document = JsonSerializer.Deserialize<RulesDocument>(rulesJson)!;
        var compiled = RuleCompiler.Compile(document, f => f is "feodo" or "c2", clock.GetUtcNow());
        Assert.True(compiled.Set is not null, string.Join("\n", compiled.Errors));
        var ips = new IpRangeIndexBuilder();
        ips.Add(ips.AddSource("list:admin"), IpNetworkParser.Parse("198.51.100.66"));
        ips.Add(ips.AddSource(new ListSource("feed:feodo") { Category = "c2" }), IpNetworkParser.Parse("45.154.244.193"));
        var names = new DomainSetBuilder();
        Assert.True(DomainPattern.TryParse("*.bad-cdn.test", out var pattern, out _));
        names.Add(pattern, new ListSource("feed:urlhaus") { Category = "malware" });
        var snapshot = new PolicySnapshot(ips.Build(), names.Build(), PolicyLoader.BuildGuard(), IpRangeIndex.Empty, 1, compiled.Set);
        return new EgressPolicy(new PolicyHolder(snapshot), new TableResolver(), AddressPreference.IPv4, clock);
    }

    private static Target T(string authority)
    {
        Assert.True(TargetParser.TryParseAuthority(authority, -1, out var target, out var error), error);
        return target;
    }

    private static ClientIdentity Client(string address = "10.1.1.1", string? user = null, params string[] groups) =>
        new(IPAddress.Parse(address), user, groups);

    public static TheoryData<string, string, string, string, string, string?> Table => new()
    {
        // case, rules, client, target, expected action, expected rule
        { "no rules: feeds deny a C2 address", "{\"rules\":[]}", "10.1.1.1", "www.example.com:443", "deny", "feed:feodo" },
        { "no rules: clean name allowed by default", "{\"rules\":[]}", "10.1.1.1", "api.example.com:443", "allow", null },
        { "allow *.example.com does not exempt its addresses from feeds",
          "{\"rules\":[{\"id\":\"ok\",\"action\":\"allow\",\"destinations\":[\"*.example.com\"]}]}", "10.1.1.1", "www.example.com:443", "deny", "feed:feodo" },
        { "allow by CIDR before feeds exempts that address",
          "{\"rules\":[{\"id\":\"fp\",\"action\":\"allow\",\"destinations\":[\"45.154.244.193/32\"]}]}", "10.1.1.1", "www.example.com:443", "allow", "rule:fp" },
        { "same allow placed after feeds comes too late",
          "{\"rules\":[{\"id\":\"feeds\",\"builtin\":true},{\"id\":\"fp\",\"action\":\"allow\",\"destinations\":[\"45.154.244.193/32\"]}]}", "10.1.1.1", "www.example.com:443", "deny", "feed:feodo" },
        { "smokescreen#236: deny inside an allowed range, deny first",
          "{\"rules\":[{\"id\":\"c2\",\"action\":\"deny\",\"destinations\":[\"10.20.0.5\"]},{\"id\":\"corp\",\"action\":\"allow\",\"destinations\":[\"10.0.0.0/8\"]}]}", "10.1.1.1", "registry.corp:443", "deny", "rule:c2" },
        { "allow internal range before the guard opens it",
          "{\"rules\":[{\"id\":\"corp\",\"action\":\"allow\",\"destinations\":[\"10.0.0.0/8\"]}]}", "10.1.1.1", "registry.corp:443", "allow", "rule:corp" },
        { "without it the guard denies the internal address", "{\"rules\":[]}", "10.1.1.1", "registry.corp:443", "deny", "guard:non-public" },
        { "internal service for one team only: other team",
          "{\"rules\":[{\"id\":\"team\",\"action\":\"allow\",\"destinations\":[\"10.20.0.0/16\"],\"sources\":[\"10.9.0.0/16\"]}]}", "10.1.1.1", "registry.corp:443", "deny", "guard:non-public" },
        { "internal service for one team only: that team",
          "{\"rules\":[{\"id\":\"team\",\"action\":\"allow\",\"destinations\":[\"10.20.0.0/16\"],\"sources\":[\"10.9.0.0/16\"]}]}", "10.9.3.4", "registry.corp:443", "allow", "rule:team" },
        { "port scope: rule for 8443 does not match 443",
          "{\"rules\":[{\"id\":\"p\",\"action\":\"deny\",\"destinations\":[\"api.example.com\"],\"ports\":[\"8000-8999\"]}]}", "10.1.1.1", "api.example.com:443", "allow", null },
        { "port scope: matches inside the range",
          "{\"rules\":[{\"id\":\"p\",\"action\":\"deny\",\"destinations\":[\"api.example.com\"],\"ports\":[\"8000-8999\"]}]}", "10.1.1.1", "api.example.com:8443", "deny", "rule:p" },
        { "name deny decides before DNS",
          "{\"rules\":[{\"id\":\"n\",\"action\":\"deny\",\"destinations\":[\".example.com\"]}]}", "10.1.1.1", "api.example.com:443", "deny", "rule:n" },
        { "CNAME on a domain feed denies", "{\"rules\":[]}", "10.1.1.1", "cdn.partner.test:443", "deny", "feed:urlhaus" },
        { "rule by feed category",
          "{\"rules\":[{\"id\":\"c2only\",\"action\":\"deny\",\"feeds\":[\"c2\"]},{\"id\":\"feeds\",\"builtin\":true}]}", "10.1.1.1", "www.example.com:443", "deny", "rule:c2only" },
        { "default deny: nothing allowed",
          "{\"rules\":[{\"id\":\"default\",\"builtin\":true,\"action\":\"deny\"}]}", "10.1.1.1", "api.example.com:443", "deny", "default" },
        { "default deny: a name allow lets it through",
          "{\"rules\":[{\"id\":\"ok\",\"action\":\"allow\",\"destinations\":[\"api.example.com\"]},{\"id\":\"default\",\"builtin\":true,\"action\":\"deny\"}]}", "10.1.1.1", "api.example.com:443", "allow", "rule:ok" },
        { "default deny: the allowed name's C2 address is still denied",
          "{\"rules\":[{\"id\":\"ok\",\"action\":\"allow\",\"destinations\":[\"www.example.com\"]},{\"id\":\"default\",\"builtin\":true,\"action\":\"deny\"}]}", "10.1.1.1", "www.example.com:443", "deny", "feed:feodo" },
        { "name and address both required: address matches, name does not",
          "{\"rules\":[{\"id\":\"both\",\"action\":\"deny\",\"destinations\":[\"www.example.com\",\"93.184.216.0/24\"]}]}", "10.1.1.1", "api.example.com:443", "allow", null },
        { "admin list denies literal", "{\"rules\":[]}", "10.1.1.1", "198.51.100.66:443", "deny", "list:admin" },
        { "user scope without authentication does not match",
          "{\"rules\":[{\"id\":\"u\",\"action\":\"deny\",\"destinations\":[\"api.example.com\"],\"users\":[\"alice\"]}]}", "10.1.1.1", "api.example.com:443", "allow", null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public async Task Decide_PrecedenceTable(string name, string rules, string client, string target, string action, string? rule)
    {
        var decision = await Policy(rules).DecideAsync(T(target), Client(client), default);
        Assert.True(Enum.Parse<DecisionAction>(action, ignoreCase: true) == decision.Action, $"{name}: {decision.Action} {decision.Rule} {decision.Detail}");
        Assert.True(rule == decision.Rule, $"{name}: rule {decision.Rule}");
    }

    [Fact]
    public async Task Decide_GroupScopedRule_MatchesMemberOnly()
    {
        var policy = Policy("{\"rules\":[{\"id\":\"g\",\"action\":\"deny\",\"destinations\":[\"api.example.com\"],\"groups\":[\"contractors\"]}]}");
        Assert.Equal(DecisionAction.Deny, (await policy.DecideAsync(T("api.example.com:443"), Client(user: "bob", groups: "contractors"), default)).Action);
        Assert.Equal(DecisionAction.Allow, (await policy.DecideAsync(T("api.example.com:443"), Client(user: "carol", groups: "staff"), default)).Action);
    }

    [Fact]
    public async Task Decide_ReportRule_AllowsWithWouldDeny()
    {
        var decision = await Policy("{\"rules\":[{\"id\":\"trial\",\"action\":\"deny\",\"mode\":\"report\",\"destinations\":[\"api.example.com\"]}]}")
            .DecideAsync(T("api.example.com:443"), Client(), default);
        Assert.Equal(DecisionAction.Allow, decision.Action);
        Assert.Equal("rule:trial", decision.WouldDeny!.Rule);
    }

    [Fact]
    public async Task Decide_ExpiredRule_StopsMatchingAtExpiry()
    {
        var clock = new FakeTimeProvider(Clock.GetUtcNow());
        var expires = clock.GetUtcNow().AddMinutes(10).ToString("O");
        var policy = Policy($"{{\"rules\":[{{\"id\":\"temp\",\"action\":\"deny\",\"destinations\":[\"api.example.com\"],\"expires\":\"{expires}\"}}]}}", clock);
        Assert.Equal(DecisionAction.Deny, (await policy.DecideAsync(T("api.example.com:443"), Client(), default)).Action);
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(DecisionAction.Allow, (await policy.DecideAsync(T("api.example.com:443"), Client(), default)).Action);
    }

    [Fact]
    public async Task Explain_ListsEveryEntryConsideredInOrder()
    {
        var policy = Policy("{\"rules\":[{\"id\":\"ok\",\"action\":\"allow\",\"destinations\":[\"*.example.com\"]}]}");
        var (decision, steps) = await policy.ExplainAsync(T("www.example.com:443"), Client(), default);
        Assert.Equal(DecisionAction.Deny, decision.Action);
        Assert.Equal(("www.example.com", "rule:ok", "allow"), (steps[0].Subject, steps[0].Rule, steps[0].Result));
        Assert.Contains(steps, s => s.Subject == "45.154.244.193" && s.Rule == "lists" && s.Result == "no match");
        Assert.Contains(steps, s => s.Subject == "45.154.244.193" && s.Rule == "feeds" && s.Result == "deny");
    }
}
