namespace EgressGuard.Policy;

/// <summary>What the proxy does with a request.</summary>
internal enum DecisionAction
{
    /// <summary>Dial one of the approved addresses.</summary>
    Allow,

    /// <summary>Refuse with 403: a list, rule or the guard matched.</summary>
    Deny,

    /// <summary>No decision could be made (bad request, DNS failure): refuse with 4xx/5xx.</summary>
    Error,
}
