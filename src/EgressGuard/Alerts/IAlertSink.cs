namespace EgressGuard.Alerts;

/// <summary>A place alerts are delivered to (a webhook, a syslog server).</summary>
internal interface IAlertSink : IAsyncDisposable
{
    /// <summary>For status and metrics, e.g. <c>webhook https://siem.example/hook</c> (no secret, no userinfo).</summary>
    string Name { get; }

    /// <summary>One attempt. Never throws for delivery problems: they are the result.</summary>
    Task<DeliveryResult> SendAsync(Alert alert, CancellationToken cancellationToken);
}
