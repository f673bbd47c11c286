namespace EgressGuard.Policy;

/// <summary>Configuration section <c>Guard</c>: the built-in non-public address guard.</summary>
internal sealed class GuardOptions
{
    public const string Section = "Guard";

    /// <summary>
    /// Refuse loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved and
    /// documentation ranges, including their IPv4-mapped, NAT64, 6to4 and Teredo forms. Default
    /// true. Turning it off makes the proxy a way into the internal network: prefer
    /// <see cref="Exempt"/>.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>CIDRs the guard lets through (e.g. an internal network clients may reach through
    /// the proxy). Bad-IP lists still apply to them. Default: none.</summary>
    public List<string> Exempt { get; set; } = [];
}
