namespace EgressGuard.Lists;

/// <summary>
/// Reads an admin's own bad-IP list: one address, CIDR, netmask or range per line. Exactly what
/// the file says is enforced; every line that cannot be read is reported with its number, and a
/// non-canonical CIDR is normalised with a warning. Works on spans: one string per line, no more.
/// </summary>
internal static class IpListParser
{
    public static (List<IpRange> Entries, List<ListProblem> Errors, List<ListProblem> Warnings) Parse(TextReader reader, string source)
    {
        var entries = new List<IpRange>();
        var errors = new List<ListProblem>();
        var warnings = new List<ListProblem>();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var token = ListLines.FirstToken(line, number);
            if (token.IsEmpty)
            {
                continue;
            }

            if (IpNetworkParser.TryParse(token, out var range, out var warning, out var error))
            {
                entries.Add(range);
                if (warning is not null)
                {
                    warnings.Add(new ListProblem(source, number, warning));
                }
            }
            else
            {
                errors.Add(new ListProblem(source, number, error!));
            }
        }

        return (entries, errors, warnings);
    }
}
