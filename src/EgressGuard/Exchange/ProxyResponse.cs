using EgressGuard.Identity;

namespace EgressGuard.Exchange;

/// <summary>
/// The proxy's own refusal or failure response, built from the decision so that the client, the
/// log line and the span say the same thing: status, <c>X-EgressGuard-*</c> headers and a short
/// plain-text body with a reference (the trace id) that finds the log line.
/// </summary>
internal sealed class ProxyResponse
{
    public const string DecisionHeader = "X-EgressGuard-Decision";
    public const string ReasonHeader = "X-EgressGuard-Reason";
    public const string RuleHeader = "X-EgressGuard-Rule";
    public const string EntryHeader = "X-EgressGuard-Entry";
    public const string ErrorHeader = "X-EgressGuard-Error";
    public const string ReferenceHeader = "X-EgressGuard-Reference";

    private ProxyResponse(int status, string reasonPhrase, List<KeyValuePair<string, string>> headers, string body)
    {
        Status = status;
        ReasonPhrase = reasonPhrase;
        Headers = headers;
        Body = body;
    }

    public int Status { get; }

    public string ReasonPhrase { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public string Body { get; }

    /// <summary>The policy's decision when the response comes from one (the block page renders it).</summary>
    public Decision? Decision { get; private init; }

    /// <summary>403 for a deny, 400 for a bad request, 502/504 for DNS failures.</summary>
    public static int StatusFor(Decision decision) => decision.Action switch
    {
        DecisionAction.Deny => 403,
        DecisionAction.Allow => 200,
        _ => decision.Reason switch
        {
            DecisionReasons.BadRequest => 400,
            DecisionReasons.DnsTimeout => 504,
            DecisionReasons.FeedUnavailable => 503,
            DecisionReasons.HostMismatch => 421,
            _ => 502,
        },
    };

    public static ProxyResponse ForDecision(Decision decision, string method, ActivityTraceId traceId)
    {
        var status = StatusFor(decision);
        var headers = new List<KeyValuePair<string, string>>(6)
        {
            new(DecisionHeader, DecisionLogFormatter.ActionName(decision.Action)),
            new(ReasonHeader, decision.Reason),
        };
        AddIfPresent(headers, RuleHeader, decision.Rule);
        AddIfPresent(headers, EntryHeader, decision.Entry);
        headers.Add(new(ReferenceHeader, traceId.ToHexString()));

        var destination = decision.Target?.ToString() ?? "the requested destination";
        var body = new StringBuilder();
        body.Append(decision.Action == DecisionAction.Deny ? "EgressGuard blocked " : "EgressGuard could not handle ")
            .Append(method).Append(' ').Append(destination).Append(": ")
            .Append(decision.Detail ?? decision.Reason).Append('\n');
        if (decision.Rule is not null)
        {
            body.Append("Rule: ").Append(decision.Rule);
            if (decision.Entry is not null)
            {
                body.Append(" (entry ").Append(decision.Entry).Append(')');
            }

            body.Append('\n');
        }

        body.Append("Reference: ").Append(traceId.ToHexString()).Append('\n');
        return new ProxyResponse(status, Phrase(status), headers, body.ToString()) { Decision = decision };
    }

    /// <summary>An allowed request whose upstream could not be reached (502) or timed out (504).</summary>
    public static ProxyResponse ForUpstreamFailure(Decision decision, string method, string errorType, string message, ActivityTraceId traceId, bool timeout)
    {
        var status = timeout ? 504 : 502;
        List<KeyValuePair<string, string>> headers =
        [
            new(DecisionHeader, DecisionLogFormatter.ActionName(decision.Action)),
            new(ReasonHeader, decision.Reason),
            new(ErrorHeader, errorType),
            new(ReferenceHeader, traceId.ToHexString()),
        ];
        var body = $"EgressGuard could not reach {decision.Target} for {method}: {message}\nReference: {traceId.ToHexString()}\n";
        return new ProxyResponse(status, Phrase(status), headers, body);
    }

    /// <summary>A request that never reached the policy (unparseable head, wrong form).</summary>
    public static ProxyResponse ForProtocolError(int status, string message, ActivityTraceId traceId, string reason = DecisionReasons.BadRequest) =>
        new(
            status,
            Phrase(status),
            [new(DecisionHeader, "error"), new(ReasonHeader, reason), new(ReferenceHeader, traceId.ToHexString())],
            $"EgressGuard: {message}\nReference: {traceId.ToHexString()}\n");

    /// <summary>The refusal for a client that may not use the proxy (403), must authenticate (407) or is throttled (429).</summary>
    public static ProxyResponse ForAdmission(AdmissionResult result, IReadOnlyList<string> challenges, ActivityTraceId traceId)
    {
        var (status, reason, message) = result switch
        {
            AdmissionResult.UntrustedClient => (403, DecisionReasons.UntrustedClient, "this client address may not use the proxy"),
            AdmissionResult.Throttled => (429, DecisionReasons.AuthThrottled, "too many failed proxy authentications from this address; try again later"),
            AdmissionResult.Busy => (503, DecisionReasons.AuthBusy, "the proxy is checking too many passwords at once; try again shortly"),
            _ => (407, DecisionReasons.AuthRequired, challenges is ["Negotiate", ..]
                ? "proxy authentication required (Kerberos single sign-on: Proxy-Authorization: Negotiate; get a ticket with kinit or a domain logon)"
                : "proxy authentication required (Proxy-Authorization: Basic)"),
        };
        List<KeyValuePair<string, string>> headers =
        [
            new(DecisionHeader, "deny"),
            new(ReasonHeader, reason),
            new(ReferenceHeader, traceId.ToHexString()),
        ];
        if (status == 407)
        {
            headers.AddRange(challenges.Select(c => new KeyValuePair<string, string>("Proxy-Authenticate", c)));
        }
        else if (status == 503)
        {
            headers.Add(new("Retry-After", "1"));
        }

        return new ProxyResponse(status, Phrase(status), headers, $"EgressGuard: {message}\nReference: {traceId.ToHexString()}\n");
    }

    /// <summary>The whole response as HTTP/1.1 bytes, for the CONNECT gate that writes to the socket itself.</summary>
    public byte[] ToHttp11Bytes()
    {
        var body = Encoding.UTF8.GetBytes(Body);
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(Status).Append(' ').Append(ReasonPhrase).Append("\r\n");
        foreach (var (name, value) in Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            .Append("Connection: close\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. body];
    }

    private static void AddIfPresent(List<KeyValuePair<string, string>> headers, string name, string? value)
    {
        if (value is not null)
        {
            headers.Add(new(name, HeaderSafe(value)));
        }
    }

    /// <summary>Header values carry only printable ASCII, never cut: names are punycode already, this is defence in depth.</summary>
    private static string HeaderSafe(string value) => PrintableText.Of(value, int.MaxValue);

    private static string Phrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        429 => "Too Many Requests",
        408 => "Request Timeout",
        421 => "Misdirected Request",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}
