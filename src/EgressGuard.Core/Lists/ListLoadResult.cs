namespace EgressGuard.Lists;

/// <summary>A problem in a list file, with the line it is on (1-based).</summary>
internal sealed record ListProblem(string Source, int Line, string Message)
{
    public override string ToString() => $"{Source}:{Line}: {Message}";
}
