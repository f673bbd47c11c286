using EgressGuard.Identity;

namespace EgressGuard.Proxy;

/// <summary>Configuration section <c>Proxy</c>: the client-facing listener and upstream behaviour.</summary>
internal sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>
    /// Address and port to listen on, e.g. <c>127.0.0.1:3128</c> or <c>[::]:3128</c>. Default
    /// <c>127.0.0.1:3128</c>. Listening beyond loopback makes the proxy reachable by every host
    /// that can reach that address. The array form (several listeners, each a string or
    /// <c>{ Address, Tls }</c>) is not bound here but read by <c>Hosting.ListenValidation</c>,
    /// because the binder cannot hold a string or an array in one property.
    /// </summary>
    public string Listen { get; set; } = "127.0.0.1:3128";

    /// <summary>Time allowed from connection start to the end of a CONNECT request head. Default 10 s.
    /// A connection that sends nothing in that time is closed silently; a partial head gets 408.</summary>
    public TimeSpan HeadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest CONNECT request head accepted, in bytes. Default 16384.</summary>
    public int MaxHeadBytes { get; set; } = 16 * 1024;

    /// <summary>Time allowed for one upstream TCP connect attempt. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A tunnel with no bytes in either direction for this long is closed. Default 5 min.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Forwarded HTTP: longest wait for the upstream between any two reads/writes. Default 100 s.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Client ranges allowed to use the proxy at all; anything else gets 403 <c>untrusted-client</c>
    /// before a byte is parsed: EgressGuard must never be an open relay. Default: loopback and
    /// RFC 1918 (127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16). Setting it replaces the default.
    /// </summary>
    public List<string> TrustedClients { get; set; } = [];

    public static readonly string[] DefaultTrustedClients = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

    /// <summary>Most client connections open at once (HTTP and tunnels). Over it: 503, closed. Default 10000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Most connections open at once from one client address; 0 (default) = no per-address cap
    /// (a NAT puts many users behind one address).</summary>
    public int MaxConnectionsPerClient { get; set; }

    /// <summary>On shutdown (SIGTERM), how long live tunnels may run on before they are closed. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>New connections per second from one client address; over it: 503. 0 (default) = off.</summary>
    public int MaxNewConnectionsPerClientPerSecond { get; set; }

    /// <summary>
    /// Blind tunnels on Linux: move the bytes with splice(2), socket to pipe to socket inside the
    /// kernel, instead of copying them through the process. Default true; ignored elsewhere. False
    /// copies through pooled buffers (the fallback used anyway when the kernel refuses).
    /// </summary>
    public bool Splice { get; set; } = true;

    /// <summary>
    /// Spliced tunnels: the capacity, in bytes, a direction's pipe grows to once it looks like a bulk
    /// transfer (a splice filled the kernel's default 64 KiB pipe, or a second splice in one round
    /// still found data); short tunnels keep the default.
    /// Default 1048576 (1 MiB, the kernel's <c>pipe-max-size</c> default; unprivileged, more is
    /// refused and the pipe stays as it is); 65536 or less: never grow.
    /// </summary>
    public int SplicePipeSize { get; set; } = 1 << 20;

    /// <summary>
    /// Spliced tunnels: the grown pipe capacity, in bytes, all tunnels may hold at once; a bulk
    /// direction past it keeps the default pipe (idle grown pipes are closed to make room first). Default 33554432 (32 MiB: 32 bulk directions at
    /// 1 MiB), half of Linux's per-user <c>pipe-user-pages-soft</c> (64 MiB), past which an
    /// unprivileged user's new pipes get two pages only.
    /// </summary>
    public long SplicePipeBudget { get; set; } = 32L << 20;

    /// <summary>Longest a tunnel may stay open whatever its traffic; zero (default) = no limit.</summary>
    public TimeSpan MaxTunnelLifetime { get; set; } = TimeSpan.Zero;

    /// <summary>TLS on the client side: an HTTPS proxy listener, optionally with client certificates.</summary>
    public ProxyTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// Forwarded HTTP: add <c>Via: 1.1 egressguard-&lt;Node:Name&gt;</c> upstream and refuse a request that
    /// already carries it (<c>self-loop</c>): a loop through a NAT or a parent proxy is seen even
    /// where our own address is not. Default true. The header tells every upstream server the node
    /// name; turn it off where that must not leave the network (loops are then caught by address only).
    /// </summary>
    public bool Via { get; set; } = true;

    /// <summary>
    /// Forwarded <c>http://</c> requests: <c>lean</c> (default) writes them to pooled HTTP/1.1 upstream
    /// connections itself (Forwarding/Lean); <c>yarp</c> sends them through YARP's IHttpForwarder and
    /// SocketsHttpHandler. Upgrades (WebSocket) and intercepted HTTPS requests always take YARP.
    /// Same policy, headers, logs and history either way; lean spends about 30 % less CPU per
    /// request (docs/benchmarks.md). <c>yarp</c> stays as the fallback should an origin need it.
    /// </summary>
    public string Forwarder { get; set; } = ForwarderLean;

    public const string ForwarderLean = "lean";

    public const string ForwarderYarp = "yarp";

    /// <summary>
    /// After the policy is (re)built — at start, a feed refresh, a list reload, a rule edit — and has
    /// been in force this long with no further change, one aggressive compacting garbage collection
    /// gives the old index's memory back to the system (about 6 MB of RSS with a 100,000-entry list,
    /// docs/benchmarks.md). At most one per minute; it pauses the process for a few milliseconds
    /// (logged). Default 5 s; zero turns it off.
    /// </summary>
    public TimeSpan CompactMemoryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Forwarded HTTP: how long a pooled upstream connection is reused at most. Default 2 min.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(2);
}
