namespace EgressGuard.Identity;

internal sealed partial class ProxyAuthenticator
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Proxy authentication failed from {Client} ({Failures} in the current window)")]
    private static partial void LogFailure(ILogger logger, string client, int failures);

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "Negotiate (Kerberos) proxy authentication failed from {Client}: {Failure} ({Detail}); the token is not logged")]
    private static partial void LogNegotiateFailed(ILogger logger, string client, NegotiateFailure failure, string detail);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "NTLM proxy authentication refused from {Client} ({Detail}): NTLM is deprecated and never accepted; the client needs a Kerberos ticket (kinit, or a domain logon) for the proxy's service principal")]
    private static partial void LogNtlmRefused(ILogger logger, string client, string detail);

    [LoggerMessage(EventId = 605, Level = LogLevel.Warning, Message = "Proxy authentication from {Client} refused with 503 auth-busy: all {Slots} password-check slots stayed busy for {Wait} (Auth:MaxConcurrentHashes, Auth:HashQueueTimeout)")]
    private static partial void LogBusy(ILogger logger, string client, int slots, TimeSpan wait);
}
