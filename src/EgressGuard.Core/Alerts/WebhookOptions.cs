namespace EgressGuard.Alerts;

/// <summary>One webhook: <c>Alerts:Webhooks:N:Url</c> and an optional <c>Secret</c> for the HMAC signature.</summary>
internal sealed class WebhookOptions
{
    /// <summary>http(s) URL the alert JSON is POSTed to.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>
    /// When set, each POST carries <c>X-EgressGuard-Signature: sha256=HEX</c>, the HMAC-SHA256 of
    /// <c>TIMESTAMP.BODY</c> with this secret (timestamp in <c>X-EgressGuard-Timestamp</c>), so the
    /// receiver can check origin and freshness. Never logged.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Per-attempt timeout. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
