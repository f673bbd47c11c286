namespace EgressGuard.Identity;

/// <summary>Configuration section <c>Identity</c>: names for clients that cannot sign in.</summary>
internal sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>
    /// A file of <c>CIDR NAME</c> lines (<c>#</c> comments) naming devices or owners by address, e.g.
    /// <c>10.20.0.0/24 build-farm (team-ci)</c>, relative to the config folder; the most specific range
    /// wins; re-read when it changes (a bad edit is logged and the last good map kept). The name goes
    /// to <c>egressguard.client.name</c> on every line and span; it is not an authentication (rules
    /// scope by <c>sources</c> for addresses). Default: none.
    /// </summary>
    public string? Map { get; set; }
}
