namespace EgressGuard.Forwarding.Lean;

/// <summary>The upstream server broke HTTP/1.1 (a malformed or oversized head, bad chunk framing): a 502 that says how.</summary>
internal sealed class UpstreamProtocolException : Exception
{
    public UpstreamProtocolException()
    {
    }

    public UpstreamProtocolException(string message)
        : base(message)
    {
    }

    public UpstreamProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
