namespace EgressGuard.Lists;

/// <summary>
/// The meaningful part of a list line: BOM (first line), CRLF, blank lines and <c>#</c> or
/// <c>;</c> comments (whole-line or inline) removed; the first whitespace-separated token, since
/// lists often carry extra columns ("1.2.3.4 C2 server").
/// </summary>
internal static class ListLines
{
    public static ReadOnlySpan<char> FirstToken(ReadOnlySpan<char> line, int number)
    {
        var text = line;
        if (number == 1 && text.StartsWith("\uFEFF"))
        {
            text = text[1..];
        }

        var comment = text.IndexOfAny('#', ';');
        if (comment >= 0)
        {
            text = text[..comment];
        }

        text = text.Trim();
        var space = text.IndexOfAny(' ', '\t');
        return space < 0 ? text : text[..space];
    }
}
