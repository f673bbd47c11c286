namespace EgressGuard.Alerts;

/// <summary>The outcome of one delivery attempt; a permanent failure is not retried.</summary>
internal readonly record struct DeliveryResult(bool Delivered, bool Permanent, string? Error)
{
    public static DeliveryResult Ok { get; } = new(true, false, null);

    public static DeliveryResult Retry(string error) => new(false, false, error);

    public static DeliveryResult GiveUp(string error) => new(false, true, error);
}
