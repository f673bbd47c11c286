namespace EgressGuard.Lists;

/// <summary>A domain list entry: a normalised name and whether it covers the name, its subdomains, or both.</summary>
internal readonly record struct DomainPattern(string Name, bool MatchesApex, bool MatchesSubdomains)
{
    public static bool TryParse(string text, out DomainPattern pattern, out string error)
    {
        pattern = default;
        var apex = true;
        var subdomains = false;
        var name = text.AsSpan();
        if (name.StartsWith("*."))
        {
            name = name[2..];
            apex = false;
            subdomains = true;
        }
        else if (name.StartsWith("."))
        {
            name = name[1..];
            subdomains = true;
        }

        if (name.Contains('*'))
        {
            error = "wildcards are only allowed as a leading '*.'";
            return false;
        }

        if (!TargetParser.TryNormalizeHost(name, out var normalized, out var literal, out error))
        {
            return false;
        }

        if (literal is not null)
        {
            error = $"'{text}' is an IP address; put it in an IP list";
            return false;
        }

        pattern = new DomainPattern(normalized, apex, subdomains);
        return true;
    }

    public override string ToString() => MatchesSubdomains ? (MatchesApex ? "." : "*.") + Name : Name;
}
