using System.Text.Json;
using EgressGuard.Rules;

namespace EgressGuard.Tests.Rules;

public class RuleCompilerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static RuleCompilation Compile(string json, bool rejectExpired = false) =>
        RuleCompiler.Compile(JsonSerializer.Deserialize<RulesDocument>(json)!, f => f is "feodo" or "c2", Now, rejectExpired);

    [Fact]
    public void Compile_EveryProblem_NamedByRuleAndField()
    {
        var result = Compile("""
            {"rules":[
              {"id":"a","action":"allow","destinations":["10.0.0.0/33"]},
              {"id":"a","action":"deny"},
              {"id":"b","action":"block","destinations":["bad*.example.com"]},
              {"id":"c","action":"deny","ports":["0","70000","90-80","https"]},
              {"id":"d","action":"deny","feeds":["nosuchfeed"]},
              {"id":"e","action":"deny","sources":["not-a-cidr"]},
              {"id":"f","action":"deny","mode":"audit"},
              {"action":"deny"},
              {"id":"g","action":"deny","expires":"2020-01-01T00:00:00Z"}
            ]}
            """, rejectExpired: true);
        Assert.Null(result.Set);
        string[] expected =
        [
            "rule 'a': destinations[0] = '10.0.0.0/33'",
            "rule 'a': duplicate id",
            "rule 'b': action = 'block'",
            "rule 'b': destinations[0] = 'bad*.example.com'",
            "rule 'c': ports[0] = '0'",
            "rule 'c': ports[1] = '70000'",
            "rule 'c': ports[2] = '90-80'",
            "rule 'c': ports[3] = 'https'",
            "rule 'd': feeds = 'nosuchfeed'",
            "rule 'e': sources[0] = 'not-a-cidr'",
            "rule 'f': mode = 'audit'",
            "rules[7]: id is required",
            "rule 'g': expires = '2020-01-01 00:00:00Z' is in the past",
        ];
        foreach (var prefix in expected)
        {
            Assert.True(result.Errors.Any(e => e.StartsWith(prefix, StringComparison.Ordinal)), $"missing: {prefix}\n{string.Join("\n", result.Errors)}");
        }
    }

    [Fact]
    public void Compile_ExpiredOnReload_WarningNotError()
    {
        var result = Compile("{\"rules\":[{\"id\":\"old\",\"action\":\"deny\",\"destinations\":[\"x.test\"],\"expires\":\"2020-01-01T00:00:00Z\"}]}");
        Assert.NotNull(result.Set);
        Assert.Contains(result.Warnings, w => w.Contains("no longer matches", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_MissingBuiltins_AppendedInDefaultOrder()
    {
        var set = Compile("{\"rules\":[{\"id\":\"x\",\"action\":\"allow\",\"destinations\":[\"x.test\"]}]}").Set!;
        Assert.Equal(["x", "lists", "feeds", "guard", "default"], set.Rules.Select(r => r.Id));
        Assert.True(set.DefaultAllow);
    }

    [Fact]
    public void Compile_BuiltinsMoved_OrderKept()
    {
        var set = Compile("{\"rules\":[{\"id\":\"guard\",\"builtin\":true},{\"id\":\"x\",\"action\":\"allow\",\"destinations\":[\"10.0.0.0/8\"]},{\"id\":\"default\",\"builtin\":true,\"action\":\"deny\"}]}").Set!;
        Assert.Equal(["guard", "x", "lists", "feeds", "default"], set.Rules.Select(r => r.Id));
        Assert.False(set.DefaultAllow);
    }

    [Fact]
    public void Compile_DefaultNotLast_Error() =>
        Assert.Contains(Compile("{\"rules\":[{\"id\":\"default\",\"builtin\":true,\"action\":\"allow\"},{\"id\":\"x\",\"action\":\"deny\"}]}").Errors,
            e => e.Contains("must be the last entry", StringComparison.Ordinal));

    [Fact]
    public void Compile_BuiltinWithMatchers_Error() =>
        Assert.Contains(Compile("{\"rules\":[{\"id\":\"feeds\",\"builtin\":true,\"destinations\":[\"x.test\"]}]}").Errors,
            e => e.StartsWith("rule 'feeds': a built-in entry takes no matchers", StringComparison.Ordinal));

    [Fact]
    public void ToDocument_RoundTrips()
    {
        var set = Compile("{\"rules\":[{\"id\":\"x\",\"action\":\"deny\",\"destinations\":[\"x.test\",\"192.0.2.0/24\"],\"ports\":[\"443\"],\"comment\":\"why\",\"ticket\":\"SEC-1\"}]}").Set!;
        var json = JsonSerializer.Serialize(set.ToDocument());
        var again = Compile(json).Set!;
        Assert.Equal(set.Rules.Select(r => r.Id), again.Rules.Select(r => r.Id));
        Assert.Equal("SEC-1", again.Find("x")!.Definition.Ticket);
    }
}
