using System.Security.Cryptography;

namespace EgressGuard.Alerts;

/// <summary>
/// The webhook signature: <c>sha256=</c> + lower-case hex HMAC-SHA256 of <c>TIMESTAMP.BODY</c> (the
/// Unix seconds sent in <c>X-EgressGuard-Timestamp</c>, a dot, the exact body bytes). Binding the
/// timestamp lets receivers refuse replays.
/// </summary>
internal static class WebhookSignature
{
    public const string Header = "X-EgressGuard-Signature";
    public const string TimestampHeader = "X-EgressGuard-Timestamp";

    public static string Compute(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
