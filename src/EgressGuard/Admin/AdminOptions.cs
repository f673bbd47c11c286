namespace EgressGuard.Admin;

/// <summary>Configuration section <c>Admin</c>: the admin API's own listener (never the proxy port).</summary>
internal sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary><c>ip:port</c> of the admin API; empty disables it. Default <c>127.0.0.1:3129</c>.
    /// A non-loopback address is refused unless a token is configured.</summary>
    public string Listen { get; set; } = "127.0.0.1:3129";

    /// <summary>Bearer token of the user named <c>admin</c>. When no token is configured at all, one is
    /// generated at start and written to <c>Data:Directory/admin-token</c> (mode 0600).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the <c>admin</c> token (e.g. a mounted secret), instead of <see cref="Token"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>More named tokens: <c>[{ "Name": "alice", "Token": "…" }]</c>; the name goes into the audit log.</summary>
    public List<NamedToken> Tokens { get; set; } = [];

    /// <summary>Audit log of every change (JSON lines), relative to the config folder. Default <c>Data:Directory/audit.jsonl</c>.</summary>
    public string? AuditFile { get; set; }

    /// <summary>How many recent decisions <c>GET /decisions</c> keeps in memory. Default 1000.</summary>
    public int RecentDecisions { get; set; } = 1000;
}
