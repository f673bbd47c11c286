namespace EgressGuard.Identity;

/// <summary>Configuration section <c>Auth</c>: proxy authentication on the proxy listener.</summary>
internal sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// <c>none</c> (default); <c>basic</c>: <c>Proxy-Authorization: Basic</c> against <see cref="UsersFile"/>;
    /// <c>negotiate</c>: Kerberos single sign-on (SPNEGO) against <see cref="Negotiate"/>'s keytab;
    /// <c>negotiate,basic</c>: both challenges, Negotiate first (Basic for machines without a ticket).
    /// NTLM is never accepted.
    /// </summary>
    public string Mode { get; set; } = "none";

    /// <summary>The credentials file (PBKDF2 hashes), relative to the config folder. Default <c>users.json</c>.
    /// Write entries with <c>EgressGuard users add NAME</c>; the file is re-read when it changes.</summary>
    public string UsersFile { get; set; } = "users.json";

    /// <summary>Realm in the Basic challenge. Default <c>EgressGuard</c>.</summary>
    public string Realm { get; set; } = "EgressGuard";

    /// <summary>Failures from one address within <see cref="FailureWindow"/> before it gets 429 for a window. Default 10.</summary>
    public int MaxFailures { get; set; } = 10;

    /// <summary>Default 1 min.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a verified credential is remembered (PBKDF2 is slow on purpose). Default 5 min.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// At most this many verified credentials are remembered; past it a new one is checked again
    /// next time instead of growing memory. The key is the user and password (SHA-256), never the
    /// header, so spelling variants of one header share an entry. Default 10000.
    /// </summary>
    public int CacheSize { get; set; } = 10_000;

    /// <summary>
    /// Password checks (PBKDF2) that may run at once, off the request threads; a check waits for a
    /// free slot at most <see cref="HashQueueTimeout"/>. Default half the processors, at least 1, so
    /// a burst of wrong passwords never takes every core from the proxy.
    /// </summary>
    public int MaxConcurrentHashes { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// How long a password check waits for a free slot before the client gets 503 (reason
    /// <c>auth-busy</c>; not counted as a failure). Default 5 s.
    /// </summary>
    public TimeSpan HashQueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Auth:Negotiate</c>: the keytab and service principal for <c>negotiate</c>.</summary>
    public NegotiateOptions Negotiate { get; set; } = new();

    /// <summary>The schemes <see cref="Mode"/> names, in challenge order; empty for <c>none</c>, null when unknown.</summary>
    public IReadOnlyList<string>? Schemes() => Mode.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "none" => [],
        "basic" => ["basic"],
        "negotiate" => ["negotiate"],
        "negotiate,basic" => ["negotiate", "basic"],
        _ => null,
    };

    public bool IsBasic => Schemes()?.Contains("basic") == true;

    public bool IsNegotiate => Schemes()?.Contains("negotiate") == true;

    public bool RequiresAuthentication => IsBasic || IsNegotiate;
}
