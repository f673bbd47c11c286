namespace EgressGuard.Telemetry;

/// <summary>What TLS interception made of an exchange (none: interception was not considered).</summary>
internal enum InterceptionOutcome
{
    /// <summary>A CONNECT chosen for decryption: its requests are decided one by one.</summary>
    Intercepted,

    /// <summary>A CONNECT left blind (bypass list, mode, no rule asking for it).</summary>
    NotIntercepted,

    /// <summary>A request decrypted inside an intercepted tunnel.</summary>
    Inner,
}
