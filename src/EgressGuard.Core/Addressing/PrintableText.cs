namespace EgressGuard.Addressing;

/// <summary>
/// Client-supplied text made safe to echo in a message, a log line or a header: printable ASCII
/// only (anything else becomes '?'), cut at a length with an ellipsis. The one place this is done,
/// so a request target, a TLS name and a header value are all shown the same way.
/// </summary>
internal static class PrintableText
{
    /// <summary>Long enough for a request line's target; a DNS name (253) fits with room.</summary>
    public const int DefaultMax = 100;

    public static string Of(string text, int max = DefaultMax)
    {
        if (text.Length <= max && !text.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            return text;
        }

        var builder = new StringBuilder(Math.Min(text.Length, max) + 1);
        foreach (var c in text.AsSpan(0, Math.Min(text.Length, max)))
        {
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return text.Length > max ? builder.Append('…').ToString() : builder.ToString();
    }
}
