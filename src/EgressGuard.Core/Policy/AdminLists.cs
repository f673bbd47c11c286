using EgressGuard.Lists;

namespace EgressGuard.Policy;

/// <summary>The admin's own lists as loaded (exactly what the files say), and the guard settings.</summary>
internal sealed record AdminLists(
    IReadOnlyList<(ListSource Source, IReadOnlyList<IpRange> Ranges)> Ip,
    IReadOnlyList<(ListSource Source, IReadOnlyList<DomainPattern> Domains)> Domain,
    IReadOnlyList<IpRange> Exempt,
    bool GuardEnabled);
