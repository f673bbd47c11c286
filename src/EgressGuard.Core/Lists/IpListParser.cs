using EgressGuard.Addressing;

namespace EgressGuard.Lists;

/// <summary>
/// Reads an admin's own bad-IP list: one address, CIDR, netmask or range per line. Exactly what
/// the file says is enforced; every line that cannot be read is reported with its number, and a
/// non-canonical CIDR is normalised with a warning.
/// </summary>
internal static class IpListParser
{
    public static (List<IpRange> Entries, List<ListProblem> Errors, List<ListProblem> Warnings) Parse(TextReader reader, string source)
    {
        var entries = new List<IpRange>();
        var errors = new List<ListProblem>();
        var warnings = new List<ListProblem>();
        foreach (var (line, text) in ListLines.Read(reader))
        {
            // Lists sometimes carry extra columns ("1.2.3.4 C2 server"): the first token is the entry.
            var token = text.Split((char[])[' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries)[0];
            if (IpNetworkParser.TryParse(token, out var range, out var warning, out var error))
            {
                entries.Add(range);
                if (warning is not null)
                {
                    warnings.Add(new ListProblem(source, line, warning));
                }
            }
            else
            {
                errors.Add(new ListProblem(source, line, error!));
            }
        }

        return (entries, errors, warnings);
    }
}
