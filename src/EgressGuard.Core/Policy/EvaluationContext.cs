using EgressGuard.Identity;

namespace EgressGuard.Policy;

/// <summary>Everything one evaluation reads besides the snapshot, and what it collects on the way.</summary>
internal sealed class EvaluationContext(Target target, ClientIdentity client, DateTimeOffset now, List<ExplainStep>? trace = null)
{
    public Target Target { get; } = target;

    public ClientIdentity Client { get; } = client;

    public DateTimeOffset Now { get; } = now;

    /// <summary>The method asking (upper case: CONNECT for a tunnel, the request's for plain HTTP); null: any.</summary>
    public string? Method { get; init; }

    /// <summary>Names of the connection (requested name and CNAMEs), for rules with both name and address matchers.</summary>
    public List<string> Names { get; } = [];

    /// <summary>Every list/feed entry seen, for the decision's provenance.</summary>
    public List<MatchRecord>? Matches { get; set; }

    /// <summary>The first report-mode deny that matched.</summary>
    public MatchRecord? WouldDeny { get; set; }

    /// <summary>Set when explaining: every entry considered, in order.</summary>
    public List<ExplainStep>? Trace { get; } = trace;

    /// <summary>The DNS answer the decision was made from (null for an IP literal).</summary>
    public Resolution.Resolution? Resolution { get; set; }

    /// <summary>The rule that explicitly allowed a subject, if any.</summary>
    public string? AllowedBy { get; private set; }

    /// <summary>The <c>upstream</c> of the rule in <see cref="AllowedBy"/>: who carries the exchange (null: the default route).</summary>
    public string? AllowedUpstream { get; private set; }

    /// <summary>Notes the first rule that allowed a subject; later allows of other subjects do not replace it.</summary>
    public void Allow(Rules.Rule rule)
    {
        if (AllowedBy is null)
        {
            AllowedBy = rule.Label;
            AllowedUpstream = rule.Upstream;
        }
    }

    public void AddMatch(MatchRecord record) => (Matches ??= []).Add(record);

    public void Step(string subject, string rule, string action, string result, string? detail = null) =>
        Trace?.Add(new ExplainStep(subject, rule, action, result, detail));
}
