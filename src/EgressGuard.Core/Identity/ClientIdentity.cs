namespace EgressGuard.Identity;

/// <summary>
/// Who asked: the client's address (always), and the proxy user and groups once authenticated.
/// Rules scope by it; every decision line carries it.
/// </summary>
internal sealed record ClientIdentity(IPAddress? Address, string? User = null, IReadOnlyList<string>? Groups = null)
{
    public static ClientIdentity Unknown { get; } = new((IPAddress?)null);

    public IReadOnlyList<string> GroupList => Groups ?? [];

    /// <summary>
    /// The user's directory groups could not be learnt (directory down past its grace time, or never
    /// reached): group-scoped allow rules do not match, group-scoped deny rules do (fail closed).
    /// </summary>
    public bool GroupsUnknown { get; init; }

    /// <summary>The device or owner name <c>Identity:Map</c> gives the address (not an authentication), or null.</summary>
    public string? Device { get; init; }
}
