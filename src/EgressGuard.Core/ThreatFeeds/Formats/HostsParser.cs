namespace EgressGuard.ThreatFeeds.Formats;

/// <summary><c>hosts</c>: hosts-file lines; every name after the address is an entry, except the machine's own names.</summary>
internal static class HostsParser
{
    /// <summary>Hosts-file names that belong to the machine itself, never to a block list.</summary>
    private static readonly HashSet<string> LocalNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    };

    public static void Parse(string text, FeedData data) =>
        FeedLines.ForEachContent(text, data, (line, number) =>
        {
            var hash = line.IndexOf('#');
            var fields = (hash >= 0 ? line[..hash] : line).ToString().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                return;
            }

            if (fields.Length == 1)
            {
                data.ContentLines++;
                data.AddProblem(number, "expected 'address name'");
                return;
            }

            // The address column (0.0.0.0, 127.0.0.1, ::1…) only says "nowhere"; the names are the entries.
            foreach (var name in fields.Skip(1))
            {
                if (!LocalNames.Contains(name))
                {
                    data.AddDomain(name, number);
                }
            }
        });
}
