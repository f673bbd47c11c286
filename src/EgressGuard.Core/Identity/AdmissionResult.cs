namespace EgressGuard.Identity;

/// <summary>How a client's admission ended.</summary>
internal enum AdmissionResult
{
    Admitted,

    /// <summary>The client address is not in the trusted ranges (403): never an open relay.</summary>
    UntrustedClient,

    /// <summary>Credentials missing or wrong (407).</summary>
    AuthenticationRequired,

    /// <summary>Too many failures from this address (429).</summary>
    Throttled,

    /// <summary>Every password-check slot stayed busy for <c>Auth:HashQueueTimeout</c> (503); not a failure.</summary>
    Busy,
}
