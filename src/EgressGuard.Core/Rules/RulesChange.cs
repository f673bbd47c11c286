namespace EgressGuard.Rules;

/// <summary>The outcome of an edit or reload.</summary>
internal sealed record RulesChange(bool Applied, RuleSet? Rules, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, RulesDocument? Before = null)
{
    /// <summary>The shared store could not be reached: nothing changed anywhere (the API answers 503).</summary>
    public bool StoreUnavailable { get; init; }
}
