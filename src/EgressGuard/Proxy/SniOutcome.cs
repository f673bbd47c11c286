namespace EgressGuard.Proxy;

/// <summary>What the SNI check made of a tunnel's first client bytes (the <c>egressguard.tls.sni_check</c> field).</summary>
internal enum SniOutcome
{
    /// <summary>Nothing to check: <c>Tls:SniCheck=off</c>, a silent client, or bytes that are not TLS where that is allowed.</summary>
    Pass,

    /// <summary>The hello names the CONNECT host.</summary>
    SameHost,

    /// <summary>The hello names another host: that name is decided too (domain fronting).</summary>
    OtherHost,

    /// <summary>A complete hello without a server name, let through (<c>Tls:MissingSni=allow</c>, or <c>SniCheck=log</c>).</summary>
    MissingAllowed,

    /// <summary>A complete hello without a server name under <c>SniCheck=enforce</c> and <c>Tls:MissingSni=deny</c>: closed.</summary>
    MissingDenied,

    /// <summary>TLS that could not be read in full (malformed, larger than 16 KiB, cut too fine, or still incomplete at <c>Tls:HelloTimeout</c>); closed under <c>enforce</c>.</summary>
    Unreadable,

    /// <summary>Not TLS on an inspected port with <c>Tls:RequireTls</c>: closed.</summary>
    NotTls,
}
