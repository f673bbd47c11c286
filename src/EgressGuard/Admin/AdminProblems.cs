namespace EgressGuard.Admin;

/// <summary>The admin API's <c>application/problem+json</c> answers that more than one resource gives.</summary>
internal static class AdminProblems
{
    /// <summary>400 with every error: joined in <c>detail</c> and listed in <c>errors</c>.</summary>
    public static IResult BadRequest(string title, IReadOnlyList<string> errors) =>
        Results.Problem(statusCode: 400, title: title, detail: string.Join("; ", errors), extensions: new Dictionary<string, object?> { ["errors"] = errors });

    /// <summary>503: fleet mode and the shared store did not answer; nothing was changed anywhere.</summary>
    public static IResult StoreUnavailable(string detail) =>
        Results.Problem(statusCode: 503, title: "Store unavailable", detail: detail, extensions: new Dictionary<string, object?> { ["store"] = "down" });

    public static IResult NotFound(string detail) => Results.Problem(statusCode: 404, title: "Not found", detail: detail);
}
