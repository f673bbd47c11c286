namespace EgressGuard.Lists;

/// <summary>
/// Splits list text into meaningful lines: BOM, CRLF, blank lines and <c>#</c> or <c>;</c>
/// comments (whole-line or inline) removed, line numbers kept for error messages.
/// </summary>
internal static class ListLines
{
    public static IEnumerable<(int Line, string Text)> Read(TextReader reader)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var text = line.AsSpan();
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
            if (!text.IsEmpty)
            {
                yield return (number, text.ToString());
            }
        }
    }
}
