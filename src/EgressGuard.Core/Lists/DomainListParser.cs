namespace EgressGuard.Lists;

/// <summary>Reads a domain list: one name or pattern per line (see <see cref="DomainSet"/>).</summary>
internal static class DomainListParser
{
    public static (List<DomainPattern> Entries, List<ListProblem> Errors) Parse(TextReader reader, string source)
    {
        var entries = new List<DomainPattern>();
        var errors = new List<ListProblem>();
        foreach (var (line, text) in ListLines.Read(reader))
        {
            var token = text.Split((char[])[' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries)[0];
            if (DomainPattern.TryParse(token, out var pattern, out var error))
            {
                entries.Add(pattern);
            }
            else
            {
                errors.Add(new ListProblem(source, line, error));
            }
        }

        return (entries, errors);
    }
}
