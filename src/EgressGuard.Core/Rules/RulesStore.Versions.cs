namespace EgressGuard.Rules;

/// <summary>Reading one stored version back, for the console's history diff.</summary>
internal sealed partial class RulesStore
{
    /// <summary>The rules of a stored version as written then, or null when it is not in the history.</summary>
    public async Task<RulesDocument?> ReadVersionAsync(long version)
    {
        if (await _history.ReadAsync(version).ConfigureAwait(false) is not { } content)
        {
            return null;
        }

        try
        {
            return RulesText.Deserialize(content) ?? new RulesDocument();
        }
        catch (JsonException)
        {
            // Version 1 is the file as an admin wrote it: it may never have been valid.
            return null;
        }
    }
}
