namespace EgressGuard.Tunnels;

/// <summary>A running tunnel: pumped both ways until one side ends, closable by the registry.</summary>
internal interface ITunnelPump : IDisposable
{
    Task<TunnelResult> RunAsync();

    void Close(string errorType);
}
