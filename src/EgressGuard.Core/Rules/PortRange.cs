namespace EgressGuard.Rules;

/// <summary>An inclusive port range.</summary>
internal readonly record struct PortRange(int From, int To)
{
    public bool Contains(int port) => From <= port && port <= To;

    public override string ToString() => From == To ? From.ToString(CultureInfo.InvariantCulture) : $"{From}-{To}";

    /// <summary>A port (<c>443</c>) or an inclusive range (<c>8000-8100</c>), each end 1-65535.</summary>
    public static bool TryParse(string? text, out PortRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var fromText = dash < 0 ? text : text[..dash];
        var toText = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(fromText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !int.TryParse(toText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || from is < 1 or > 65535 || to is < 1 or > 65535 || from > to)
        {
            return false;
        }

        range = new PortRange(from, to);
        return true;
    }
}
