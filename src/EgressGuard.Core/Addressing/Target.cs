namespace EgressGuard.Addressing;

/// <summary>
/// A destination as the client asked for it, after normalisation: <see cref="Host"/> is a
/// lower-case ASCII name without trailing dot (IDN turned into punycode), or the canonical text of
/// <see cref="Literal"/> when the client wrote an IP address in any notation.
/// </summary>
internal sealed record Target(string Host, IPAddress? Literal, int Port)
{
    public bool IsLiteral => Literal is not null;

    /// <summary>The authority to show and to send as Host: brackets around IPv6, port unless default.</summary>
    public string Authority(int defaultPort)
    {
        var host = Literal is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{Host}]" : Host;
        return Port == defaultPort ? host : $"{host}:{Port}";
    }

    public override string ToString() => Authority(-1);
}
