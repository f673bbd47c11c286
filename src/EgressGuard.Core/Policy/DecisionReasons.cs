namespace EgressGuard.Policy;

/// <summary>
/// The stable vocabulary of decision reasons: used in the 403/5xx headers, the decision log and
/// span attributes. Admins' scripts match on these strings; add, never rename.
/// </summary>
internal static class DecisionReasons
{
    public const string Allowed = "allowed";
    public const string IpList = "ip-list";
    public const string DomainList = "domain-list";
    public const string NonPublic = "non-public";
    public const string BadRequest = "bad-request";
    public const string DnsNxDomain = "dns-nxdomain";
    public const string DnsServerFailure = "dns-servfail";
    public const string DnsTimeout = "dns-timeout";
    public const string DnsNoAddress = "dns-no-address";
    public const string DnsCnameChain = "dns-cname-chain";
    public const string FeedUnavailable = "feed-unavailable";
    public const string Rule = "rule";
    public const string SelfLoop = "self-loop";
    public const string TooManyConnections = "too-many-connections";
    public const string UntrustedClient = "untrusted-client";
    public const string AuthRequired = "auth-required";
    public const string AuthThrottled = "auth-throttled";

    /// <summary>Every password-check slot stayed busy for <c>Auth:HashQueueTimeout</c> (503; not counted as a failure).</summary>
    public const string AuthBusy = "auth-busy";
    public const string DefaultDeny = "default-deny";
    public const string PolicyChanged = "policy-changed";
    public const string Quarantined = "quarantined";
    public const string SniMismatch = "sni-mismatch";

    /// <summary>A tunnel's TLS ClientHello could not be read in full under <c>Tls:SniCheck=enforce</c>.</summary>
    public const string SniUnreadable = "sni-unreadable";

    /// <summary>A tunnel's ClientHello named no server under <c>Tls:MissingSni=deny</c>.</summary>
    public const string SniMissing = "sni-missing";

    /// <summary>A blind tunnel closed because the policy now wants its host decrypted (it reconnects through interception).</summary>
    public const string InspectRequired = "inspect-required";

    /// <summary>A request inside an intercepted tunnel named another host than the CONNECT (421).</summary>
    public const string HostMismatch = "host-mismatch";
}
