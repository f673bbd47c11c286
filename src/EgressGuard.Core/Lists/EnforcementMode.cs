namespace EgressGuard.Lists;

/// <summary>Whether a source's matches deny or are only reported ("would deny").</summary>
internal enum EnforcementMode
{
    Enforce,
    Report,
}
