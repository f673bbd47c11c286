namespace EgressGuard.Admin;

/// <summary>A named admin API token.</summary>
internal sealed class NamedToken
{
    public string Name { get; set; } = string.Empty;

    public string Token { get; set; } = string.Empty;
}
