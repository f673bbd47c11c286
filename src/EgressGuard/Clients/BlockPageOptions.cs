namespace EgressGuard.Clients;

/// <summary>Configuration section <c>BlockPage</c>: the HTML page browsers get for a refused plain-HTTP request.</summary>
internal sealed class BlockPageOptions
{
    public const string Section = "BlockPage";

    /// <summary>
    /// Answer a deny with an HTML page when the client accepts <c>text/html</c> (a browser). Default
    /// true. Other clients, and everything when false, get the short plain-text body.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Who users should contact about a block, shown on the page (plain text, e.g. "IT security, +1 555 0100, security@example.com"). Default: "your IT security team".</summary>
    public string Contact { get; set; } = "your IT security team";

    /// <summary>The organisation named in the page's heading. Default "EgressGuard".</summary>
    public string Organization { get; set; } = "EgressGuard";
}
