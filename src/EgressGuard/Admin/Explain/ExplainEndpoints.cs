using EgressGuard.Exchange;
using EgressGuard.Identity;
using EgressGuard.Proxy;
using EgressGuard.Rules;

namespace EgressGuard.Admin.Explain;

/// <summary><c>POST /explain</c>: what the policy would decide for a client and destination, step by step, without connecting.</summary>
internal static class ExplainEndpoints
{
    public static void Map(IEndpointRouteBuilder app, EgressPolicy policy, IPolicySource policySource, InterceptionStep interception, TimeProvider time)
    {
        app.MapPost("/explain", async (ExplainRequest request, CancellationToken cancellationToken) =>
        {
            var errors = new List<string>();
            IPAddress? client = null;
            if (request.Client is not null && !IPAddress.TryParse(request.Client, out client))
            {
                errors.Add($"client = '{request.Client}': not an IP address");
            }

            Target? target = null;
            if (string.IsNullOrWhiteSpace(request.Destination))
            {
                errors.Add("destination is required (a name or an address)");
            }
            else if (!TargetParser.TryParseAuthority(Authority(request.Destination, request.Port), -1, out target, out var targetError))
            {
                errors.Add($"destination = '{request.Destination}': {targetError}");
            }

            var method = request.Method is null ? RuleMethods.Connect : RuleMethods.Normalize(request.Method);
            if (method is null)
            {
                errors.Add($"method = '{request.Method}': expected an HTTP method such as CONNECT, GET or POST");
            }

            var path = "/";
            if (request.Path is not null && !RequestPath.TryCanonicalize(request.Path, out path, out var pathError))
            {
                errors.Add($"path = '{request.Path}': {pathError}");
            }

            if (errors.Count > 0)
            {
                return AdminProblems.BadRequest("Invalid explain request", errors);
            }

            var identity = new ClientIdentity(client is null ? null : AddressNormalizer.Canonicalize(client), request.User, request.Groups);
            var snapshot = policySource.Current;
            var (decision, explained) = await policy.ExplainAsync(snapshot, target!, identity, method, cancellationToken);
            var steps = explained.ToList();
            if (method == RuleMethods.Connect && interception.RefuseBlind(snapshot, decision, identity) is var blind && blind != decision)
            {
                // As a real CONNECT would be: refused before the dial when path rules would be bypassed.
                steps.Add(new ExplainStep($"CONNECT {target}", blind.Rule!, "deny", "blind tunnel", blind.Detail));
                decision = blind;
            }
            else if (method != RuleMethods.Connect && UrlPolicy.Decide(snapshot, decision, decision.Approved, path, identity, time.GetUtcNow(), method) is var byRequest && byRequest != decision)
            {
                steps.Add(new ExplainStep($"{method} {path}", byRequest.Rule ?? "-", byRequest.Action.ToString().ToLowerInvariant(), "per request", byRequest.Detail));
                decision = byRequest;
            }

            return Results.Json(new ExplainDto(
                DecisionDto.From(decision),
                ProxyResponse.StatusFor(decision),
                steps.Select(s => new ExplainStepDto(s.Subject, s.Rule, s.Action, s.Result, s.Detail)),
                snapshot.Rules.Version));
        });
    }

    /// <summary><c>host:port</c> for the target parser, bracketing a bare IPv6 address; port 443 unless given.</summary>
    private static string Authority(string destination, int? port)
    {
        var host = destination.Contains(':', StringComparison.Ordinal) && !destination.StartsWith('[') ? $"[{destination}]" : destination;
        return $"{host}:{port ?? 443}";
    }
}
