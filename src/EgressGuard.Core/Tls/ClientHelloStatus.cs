namespace EgressGuard.Tls;

/// <summary>What a peek at the first client bytes of a tunnel found.</summary>
internal enum ClientHelloStatus
{
    /// <summary>A complete ClientHello was parsed.</summary>
    Parsed,

    /// <summary>Looks like TLS but more bytes are needed.</summary>
    Incomplete,

    /// <summary>Not a TLS handshake (plain HTTP, SSH, anything else).</summary>
    NotTls,

    /// <summary>A TLS handshake record that could not be read as a ClientHello.</summary>
    Malformed,
}
