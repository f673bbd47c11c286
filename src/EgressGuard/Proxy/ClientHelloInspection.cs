using EgressGuard.Exchange;
using EgressGuard.Tls;

namespace EgressGuard.Proxy;

/// <summary>
/// After the 200 on an inspected port: reads the tunnel's first client bytes (bounded by size and
/// <see cref="TlsOptions.HelloTimeout"/>, not consumed) and records the ClientHello. A server name
/// that is another host than the CONNECT's (domain fronting) is decided too, against the
/// exchange's snapshot (<see cref="TlsOptions.SniCheck"/>, <see cref="TlsOptions.DenyMismatch"/>).
/// </summary>
internal sealed class ClientHelloInspection(TlsOptions tls, DecideStep decide, InterceptionStep interception, TimeProvider time)
{
    /// <summary>A ClientHello is read up to this size (a 16 KiB hello in as many records as carry it).</summary>
    private const int MaxClientHello = SniInspection.MaxReadBytes;

    public bool Inspects(int port) => tls.Inspects(port);

    /// <summary>Returns the error type when the tunnel must not open (the deny is on the exchange), else null.</summary>
    public async Task<string?> InspectAsync(IConnectClient client, ProxyExchange exchange, Activity? activity, PolicySnapshot snapshot, Target connect)
    {
        using var timeout = new CancellationTokenSource(tls.HelloTimeout, time);
        var early = await client.ReadEarlyAsync(MaxClientHello, b => ClientHello.TryParse(b.Span, out _) != ClientHelloStatus.Incomplete, timeout.Token);
        var status = ClientHello.TryParse(early.Span, out var hello);
        exchange.TlsHello = hello;
        if (SniInspection.Judge(tls, status, hello, early.Length, connect, exchange) is { Outcome: not SniOutcome.OtherHost } verdict)
        {
            return verdict.ErrorType;
        }

        var sni = hello!.ServerName!;

        Decision? denied;
        if (!TargetParser.TryParseAuthority($"{sni}:{connect.Port}", connect.Port, out var sniTarget, out var error))
        {
            denied = Mismatch(exchange.Decision!, sni, $"TLS server name '{PrintableText.Of(sni)}' is not a valid host name ({error})");
        }
        else if (tls.DenyMismatch)
        {
            denied = Mismatch(exchange.Decision!, sni, $"TLS server name '{sni}' differs from the CONNECT host {connect.Host} (Tls:DenyMismatch)");
        }
        else
        {
            // The name the tunnel's requests will carry: a blind tunnel must not bypass the path or
            // method rules of that host either (CONNECT open.test:443 with SNI files.test).
            var decision = await decide.DecideAlsoAsync(exchange, snapshot, sniTarget);
            if (decision.IsAllowed)
            {
                decision = interception.RefuseBlind(snapshot, decision, exchange.Identity);
            }

            denied = decision.IsAllowed ? null : decision with
            {
                Target = connect,
                Detail = $"TLS server name '{sni}' (CONNECT host {connect.Host}): {decision.Detail}",
            };
        }

        if (denied is null || tls.SniCheck != SniCheckMode.Enforce)
        {
            return null;
        }

        decide.Record(exchange, activity, denied);
        return DecisionReasons.SniMismatch;
    }

    private static Decision Mismatch(Decision allowed, string sni, string detail) => allowed with
    {
        Action = DecisionAction.Deny,
        Reason = DecisionReasons.SniMismatch,
        Rule = "tls:sni",
        Entry = PrintableText.Of(sni),
        Approved = [],
        Detail = detail,
    };
}
