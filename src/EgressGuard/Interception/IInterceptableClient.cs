namespace EgressGuard.Interception;

/// <summary>
/// What interception needs of a CONNECT's client side, whatever carries it (Kestrel's pipes or
/// the raw socket): the bytes as a stream, a way to cut it, and a way to run the HTTP pipeline on
/// the decrypted connection. Defined here, implemented by the carriers, so interception never
/// depends on the CONNECT path.
/// </summary>
internal interface IInterceptableClient
{
    /// <summary>
    /// After the 200: the client's side as a stream, the early bytes (read for the ClientHello, not
    /// consumed) first. Not owned: the connection stays the carrier's.
    /// </summary>
    TunnelClientStream OpenStream();

    /// <summary>Cuts the client's connection at once (an intercepted tunnel closed by policy, quarantine or lifetime).</summary>
    void Abort();

    /// <summary>Runs Kestrel's HTTP pipeline on the decrypted connection; completes when it is done with it.</summary>
    Task RunInterceptedAsync(InterceptedConnection connection);
}
