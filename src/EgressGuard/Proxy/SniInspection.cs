using EgressGuard.Tls;

namespace EgressGuard.Proxy;

/// <summary>
/// The part of the SNI check that needs no policy: from what the first client bytes were
/// (<see cref="ClientHello.TryParse"/>) and the <c>Tls</c> options, whether the tunnel goes on,
/// closes, or has another server name to decide. Under <c>Tls:SniCheck=enforce</c> a hello that
/// cannot be read in full closes the tunnel: a name the check cannot read is a name it cannot
/// check, and a server may well read it (a split or oversized hello was the way round the check).
/// Records the outcome on the exchange; on a refusal, the decision too.
/// </summary>
internal static class SniInspection
{
    /// <summary>The most client bytes read to find the hello (<see cref="ClientHello.MaxReadLength"/>).</summary>
    public const int MaxReadBytes = ClientHello.MaxReadLength;

    public static SniVerdict Judge(TlsOptions tls, ClientHelloStatus status, ClientHello? hello, int bytesRead, Target connect, ProxyExchange exchange)
    {
        var verdict = Classify(tls, status, hello, bytesRead, connect);
        exchange.SniCheck = Name(verdict.Outcome);
        if (verdict.Outcome is SniOutcome.Unreadable or SniOutcome.MissingDenied && verdict.ErrorType is not null && exchange.Decision is { } allowed)
        {
            exchange.Decision = allowed with
            {
                Action = DecisionAction.Deny,
                Reason = verdict.ErrorType,
                Rule = "tls:sni",
                Approved = [],
                Detail = verdict.Outcome == SniOutcome.Unreadable
                    ? $"the TLS ClientHello could not be read in full ({Describe(status, bytesRead)}; Tls:SniCheck=enforce)"
                    : "the TLS ClientHello names no server (Tls:MissingSni=deny)",
            };
        }

        return verdict;
    }

    private static SniVerdict Classify(TlsOptions tls, ClientHelloStatus status, ClientHello? hello, int bytesRead, Target connect)
    {
        var enforce = tls.SniCheck == SniCheckMode.Enforce;
        switch (status)
        {
            case ClientHelloStatus.NotTls:
                return tls.RequireTls ? new(SniOutcome.NotTls, ErrorTypes.NotTls) : new(SniOutcome.Pass, null);
            case ClientHelloStatus.Incomplete when bytesRead == 0:
                // Silence until the hello timeout: a server-first protocol (SMTP, SSH banners), not a hidden hello.
                return new(SniOutcome.Pass, null);
            case ClientHelloStatus.Incomplete or ClientHelloStatus.Malformed:
                return tls.SniCheck == SniCheckMode.Off ? new(SniOutcome.Pass, null)
                    : new(SniOutcome.Unreadable, enforce ? DecisionReasons.SniUnreadable : null);
        }

        if (tls.SniCheck == SniCheckMode.Off)
        {
            return new(SniOutcome.Pass, null);
        }

        if (hello!.ServerName is not { Length: > 0 } sni)
        {
            return enforce && tls.MissingSni == MissingSniAction.Deny
                ? new(SniOutcome.MissingDenied, DecisionReasons.SniMissing)
                : new(SniOutcome.MissingAllowed, null);
        }

        return TargetParser.NamesHost($"{sni}:{connect.Port}", connect) ? new(SniOutcome.SameHost, null) : new(SniOutcome.OtherHost, null);
    }

    private static string Describe(ClientHelloStatus status, int bytesRead) => status == ClientHelloStatus.Malformed
        ? $"malformed or larger than {ClientHello.MaxMessageLength} bytes"
        : bytesRead >= MaxReadBytes ? $"not complete within {MaxReadBytes} bytes" : $"not complete after {bytesRead} bytes";

    private static string? Name(SniOutcome outcome) => outcome switch
    {
        SniOutcome.Pass => null,
        SniOutcome.SameHost => "same-host",
        SniOutcome.OtherHost => "other-host",
        SniOutcome.MissingAllowed => "missing-allowed",
        SniOutcome.MissingDenied => "missing-denied",
        SniOutcome.Unreadable => "unreadable",
        SniOutcome.NotTls => "not-tls",
        _ => null,
    };
}
