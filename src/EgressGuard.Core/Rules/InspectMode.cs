namespace EgressGuard.Rules;

/// <summary>A rule's say on TLS interception of the tunnels it decides.</summary>
internal enum InspectMode
{
    /// <summary>As <c>Tls:Intercept:Mode</c> says.</summary>
    Default,
    Always,
    Never,
}
