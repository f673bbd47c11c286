namespace EgressGuard.Policy;

/// <summary>How the ordered list ended for one subject.</summary>
internal enum SubjectOutcome
{
    /// <summary>No entry decided: the connection-level default applies.</summary>
    NoMatch,
    Allow,
    Deny,
}
