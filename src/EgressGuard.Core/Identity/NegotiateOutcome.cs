namespace EgressGuard.Identity;

/// <summary>Why a Negotiate token was not accepted.</summary>
internal enum NegotiateFailure
{
    None,

    /// <summary>Not base64, empty, or not a GSSAPI token.</summary>
    Malformed,

    /// <summary>NTLM (bare or inside SPNEGO): deprecated, never accepted, no fallback to it.</summary>
    Ntlm,

    /// <summary>The acceptor wanted another round trip: Kerberos needs one, so this is not Kerberos.</summary>
    MultiLeg,

    /// <summary>GSSAPI rejected the token: forged, expired, replayed, for another service, unknown key.</summary>
    Rejected,
}

/// <summary>The result of accepting one Negotiate token: the Kerberos principal, or why not.</summary>
internal readonly record struct NegotiateOutcome(string? User, NegotiateFailure Failure, string Detail)
{
    public static NegotiateOutcome Fail(NegotiateFailure failure, string detail) => new(null, failure, detail);
}
