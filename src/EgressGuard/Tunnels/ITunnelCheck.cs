namespace EgressGuard.Tunnels;

/// <summary>
/// A further reason to close a live tunnel that the new policy still allows (for example:
/// interception now wants it decrypted). Registered by the feature that owns the reason, so the
/// registry knows no feature but the policy.
/// </summary>
internal interface ITunnelCheck
{
    /// <param name="allowingRule">The rule that allows the tunnel under <paramref name="snapshot"/>; null: the default.</param>
    /// <returns>The deny that closes the tunnel, or null when it may stay.</returns>
    Decision? Check(PolicySnapshot snapshot, ProxyExchange tunnel, Decision decision, string? allowingRule, IPEndPoint dialed);
}
