using System.Text.Json.Serialization;

namespace EgressGuard.Rules;

/// <summary>The rules file: <c>{ "rules": [ … ] }</c>, in evaluation order.</summary>
internal sealed class RulesDocument
{
    [JsonPropertyName("rules")]
    public List<RuleDto> Rules { get; set; } = [];
}
