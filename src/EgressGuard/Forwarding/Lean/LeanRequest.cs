namespace EgressGuard.Forwarding.Lean;

/// <summary>What every attempt of one forwarded request shares: the client side, the counted bodies, the upstream head's parts and the timers (the response's, and the request body's when it has one).</summary>
internal sealed record LeanRequest(HttpContext Context, CountingStream RequestBody, CountingStream ResponseBody, string PathAndQuery, string HostHeader, string? Via, UpstreamTimer Timer, UpstreamTimer? BodyTimer);

/// <summary>How far one attempt got: past the first response byte it can no longer be retried.</summary>
internal sealed class LeanProgress
{
    public bool ResponseStarted { get; set; }
}

/// <summary>The upstream closed the connection before a complete response head.</summary>
internal sealed class UpstreamClosedException : IOException
{
    public UpstreamClosedException()
        : base("the upstream closed the connection before its response")
    {
    }

    public UpstreamClosedException(string message)
        : base(message)
    {
    }

    public UpstreamClosedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
