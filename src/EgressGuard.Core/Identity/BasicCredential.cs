namespace EgressGuard.Identity;

/// <summary>
/// A <c>Proxy-Authorization: Basic</c> value decoded to user and password (RFC 7617). The scheme is
/// matched in any case and whitespace anywhere in or around the base64 is ignored, so every spelling
/// of one credential decodes to the same pair: the verified-credential cache is keyed by the pair,
/// never by the header text (spaces inside base64 would otherwise make endless new keys).
/// </summary>
internal readonly record struct BasicCredential(string User, string Password)
{
    private const string Scheme = "Basic";

    /// <summary>Whether the header names the Basic scheme at all (then a failure to decode is a failed attempt).</summary>
    public static bool IsBasic(string header)
    {
        var value = header.AsSpan().TrimStart();
        return value.Length > Scheme.Length
            && value[..Scheme.Length].Equals(Scheme, StringComparison.OrdinalIgnoreCase)
            && char.IsWhiteSpace(value[Scheme.Length]);
    }

    public static bool TryParse(string header, out BasicCredential credential)
    {
        credential = default;
        if (!IsBasic(header))
        {
            return false;
        }

        // Convert.FromBase64String skips spaces, tabs and line breaks anywhere in its input.
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(header.TrimStart()[Scheme.Length..]);
        }
        catch (FormatException)
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        credential = new BasicCredential(decoded[..colon], decoded[(colon + 1)..]);
        return true;
    }

    /// <summary>Never the password: a credential must not reach a log line through a record's ToString.</summary>
    public override string ToString() => $"{User}:***";
}
