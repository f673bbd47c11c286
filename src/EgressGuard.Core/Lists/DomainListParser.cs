namespace EgressGuard.Lists;

/// <summary>Reads a domain list: one name or pattern per line (see <see cref="DomainSet"/>).</summary>
internal static class DomainListParser
{
    public static (List<DomainPattern> Entries, List<ListProblem> Errors) Parse(TextReader reader, string source)
    {
        var entries = new List<DomainPattern>();
        var errors = new List<ListProblem>();
        var line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            var token = ListLines.FirstToken(text, line);
            if (token.IsEmpty)
            {
                continue;
            }

            if (DomainPattern.TryParse(token.ToString(), out var pattern, out var error))
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
