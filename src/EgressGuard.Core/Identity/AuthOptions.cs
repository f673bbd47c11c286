namespace EgressGuard.Identity;

/// <summary>Configuration section <c>Auth</c>: proxy authentication on the proxy listener.</summary>
internal sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary><c>none</c> (default) or <c>basic</c>: <c>Proxy-Authorization: Basic</c> against <see cref="UsersFile"/>.</summary>
    public string Mode { get; set; } = "none";

    /// <summary>The credentials file (PBKDF2 hashes), relative to the config folder. Default <c>users.json</c>.
    /// Write entries with <c>EgressGuard users add NAME</c>; the file is re-read when it changes.</summary>
    public string UsersFile { get; set; } = "users.json";

    /// <summary>Realm in the 407 challenge. Default <c>EgressGuard</c>.</summary>
    public string Realm { get; set; } = "EgressGuard";

    /// <summary>Failures from one address within <see cref="FailureWindow"/> before it gets 429 for a window. Default 10.</summary>
    public int MaxFailures { get; set; } = 10;

    /// <summary>Default 1 min.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a verified credential is remembered (PBKDF2 is slow on purpose). Default 5 min.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    public bool IsBasic => string.Equals(Mode, "basic", StringComparison.OrdinalIgnoreCase);
}
