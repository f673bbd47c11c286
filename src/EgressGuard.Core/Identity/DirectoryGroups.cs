namespace EgressGuard.Identity;

/// <summary>How current a user's directory groups are.</summary>
internal enum DirectoryGroupState
{
    /// <summary>Looked up within the TTL.</summary>
    Known,

    /// <summary>The directory did not answer lately: the last known groups, within the grace time.</summary>
    Stale,

    /// <summary>Never looked up successfully, or past the grace time: rules with groups fail closed.</summary>
    Unknown,
}

/// <summary>A user's directory groups and how current they are.</summary>
internal readonly record struct DirectoryGroups(IReadOnlyList<string> Groups, DirectoryGroupState State);
