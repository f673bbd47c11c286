namespace EgressGuard.Tls;

/// <summary><c>Tls:Intercept:Mode</c>.</summary>
internal enum InterceptMode
{
    /// <summary>Never decrypt (default).</summary>
    Off,

    /// <summary>Decrypt only tunnels a rule asks for: <c>inspect: always</c>, or a path rule for the destination.</summary>
    Rules,

    /// <summary>Decrypt every tunnel on an inspected port except the bypass list and <c>inspect: never</c> rules.</summary>
    All,
}
