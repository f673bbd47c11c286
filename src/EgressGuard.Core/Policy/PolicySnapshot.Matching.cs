using EgressGuard.Lists;

namespace EgressGuard.Policy;

/// <summary>The address lookups of the walk: every list and feed entry an address (or an IPv4 address embedded in it) is on, and the guard.</summary>
internal sealed partial class PolicySnapshot
{
    private List<(IpMatch Match, IPAddress Form)>? CollectListMatches(IPAddress address, IPAddress[] embedded, EvaluationContext context)
    {
        List<(IpMatch, IPAddress)>? matches = null;
        Collect(address);
        foreach (var form in embedded)
        {
            Collect(form);
        }

        return matches;

        void Collect(IPAddress form)
        {
            if (!BadIps.TryMatchAll(form, out var set))
            {
                return;
            }

            for (var i = 0; i < set.Count; i++)
            {
                var match = set[i];
                (matches ??= []).Add((match, form));
                context.AddMatch(MatchRecord.From(match, form.ToString()));
            }
        }
    }

    private static (IpMatch Match, IPAddress Form)? FirstMatch(List<(IpMatch Match, IPAddress Form)>? matches, Func<IpMatch, bool> predicate)
    {
        foreach (var item in matches ?? [])
        {
            if (predicate(item.Match))
            {
                return item;
            }
        }

        return null;
    }

    private bool MatchGuard(IPAddress address, IPAddress[] embedded, out IPAddress? form, out IpMatch match)
    {
        form = null;
        match = default;
        if (Guard is null)
        {
            return false;
        }

        if (!Exempt.Contains(address) && Guard.TryMatch(address, out match))
        {
            form = address;
            return true;
        }

        foreach (var e in embedded)
        {
            if (!Exempt.Contains(e) && Guard.TryMatch(e, out match))
            {
                form = e;
                return true;
            }
        }

        return false;
    }
}
