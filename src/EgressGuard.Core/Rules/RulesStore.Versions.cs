using System.Text.Json;

namespace EgressGuard.Rules;

/// <summary>Reading one stored version back, for the console's history diff.</summary>
internal sealed partial class RulesStore
{
    /// <summary>The rules of a stored version as written then, or null when it is not in the history.</summary>
    public async Task<RulesDocument?> ReadVersionAsync(long version)
    {
        var file = System.IO.Path.Combine(_historyDirectory, $"rules-{version:D6}.json");
        if (version <= 0 || !File.Exists(file))
        {
            return null;
        }

        var content = await ReadAllTextAsync(file).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<RulesDocument>(content, Lenient) ?? new RulesDocument();
        }
        catch (JsonException)
        {
            // Version 1 is the file as an admin wrote it: it may never have been valid.
            return null;
        }
    }
}
