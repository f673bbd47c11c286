namespace EgressGuard.Resolution;

/// <summary>Why a name could not be resolved.</summary>
internal enum ResolutionError
{
    None,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NxDomain,

    /// <summary>The server failed or refused (SERVFAIL, REFUSED, ...).</summary>
    ServerFailure,

    /// <summary>No server answered in time.</summary>
    Timeout,

    /// <summary>The name exists but has no A or AAAA records.</summary>
    NoAddresses,

    /// <summary>The CNAME chain loops or is longer than allowed.</summary>
    CnameChain,
}
