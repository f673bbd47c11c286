namespace EgressGuard.Tls;

/// <summary>Whether a tunnel is decrypted, and why (for its decision line).</summary>
internal readonly record struct InterceptChoice(bool Intercept, string Reason);
