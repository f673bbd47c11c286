namespace EgressGuard.Dialing;

/// <summary>How an upstream connect failed; each maps to a status and an <c>error.type</c>.</summary>
internal enum DialFailure
{
    Refused,
    Timeout,
    Unreachable,
    Failed,

    /// <summary>The parent proxy answered the CONNECT with a non-2xx status.</summary>
    ParentRefused,

    /// <summary>The parent proxy could not be reached, or closed or stalled before its reply.</summary>
    ParentUnreachable,
}

/// <summary>An upstream connect failed. Thrown only by <see cref="Dialer"/>, so callers know no byte was sent.</summary>
internal sealed class DialException : Exception
{
    public DialException(DialFailure failure, IPEndPoint endpoint, Exception? inner)
        : base($"connect to {endpoint} failed: {Describe(failure)}", inner)
    {
        Failure = failure;
        Endpoint = endpoint;
    }

    /// <summary>A failure with its own wording (the parent's status line, say), for the 502's detail.</summary>
    public DialException(DialFailure failure, IPEndPoint endpoint, string message, Exception? inner)
        : base(message, inner)
    {
        Failure = failure;
        Endpoint = endpoint;
    }

    public DialException()
    {
    }

    public DialException(string message)
        : base(message)
    {
    }

    public DialException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DialFailure Failure { get; }

    public IPEndPoint? Endpoint { get; }

    /// <summary>The <c>error.type</c> value for logs and the response header.</summary>
    public string ErrorType => Failure switch
    {
        DialFailure.Refused => ErrorTypes.ConnectRefused,
        DialFailure.Timeout => ErrorTypes.ConnectTimeout,
        DialFailure.Unreachable => ErrorTypes.ConnectUnreachable,
        DialFailure.ParentRefused => ErrorTypes.ParentRefused,
        DialFailure.ParentUnreachable => ErrorTypes.ParentUnreachable,
        _ => ErrorTypes.ConnectFailed,
    };

    public static DialFailure Classify(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => DialFailure.Refused,
        SocketError.TimedOut => DialFailure.Timeout,
        SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown => DialFailure.Unreachable,
        _ => DialFailure.Failed,
    };

    private static string Describe(DialFailure failure) => failure switch
    {
        DialFailure.Refused => "connection refused",
        DialFailure.Timeout => "timed out",
        DialFailure.Unreachable => "unreachable",
        _ => "failed",
    };
}
