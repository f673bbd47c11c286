namespace EgressGuard.Rules;

/// <summary>What <see cref="RuleCompiler.Compile"/> made of a document: the rule set (null when any error), every error and every warning.</summary>
internal sealed record RuleCompilation(RuleSet? Set, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);
