namespace EgressGuard.Rules;

/// <summary>The values of a rule's <c>upstream</c> besides a parent's name, and how a name is checked.</summary>
internal static class RuleUpstream
{
    /// <summary>Dial the destination directly, around every parent proxy.</summary>
    public const string Direct = "direct";

    /// <summary>No named parents (documents compiled without an <c>Upstream</c> configuration): only <see cref="Direct"/> is accepted.</summary>
    public static readonly Func<string, bool> NoParents = _ => false;

    /// <summary>Adds the error for a bad <c>upstream</c>, naming the rule.</summary>
    public static void Validate(RuleDto dto, string label, Func<string, bool> isKnownParent, List<string> errors)
    {
        if (dto.Upstream is not { } upstream)
        {
            return;
        }

        if (dto.Action != "allow")
        {
            errors.Add($"{label}: upstream = '{upstream}': only an allow rule chooses who carries its traffic");
        }
        else if (upstream != Direct && !isKnownParent(upstream))
        {
            errors.Add($"{label}: upstream = '{upstream}': expected direct or the name of a parent proxy under Upstream:Parents");
        }
    }
}
